#!/usr/bin/env python3
# SPDX-License-Identifier: EUPL-1.2
# SPDX-FileCopyrightText: 2026 Pakt contributors
"""Writes a school-sized sample for measuring one pakt-agent cycle: a Jamf School export of N
devices, dnsmasq leases for most of them, a neighbour table for some, and a config using them.

    tests/agent-data/make-large-sample.py OUT_DIR [DEVICES]   (default 2000)
    pakt-agent once --config OUT_DIR/pakt-agent.toml --state-dir OUT_DIR/state

Deterministic (seeded), so measurements compare across runs.
"""
import os
import random
import sys
import time

out = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(2026)
now = int(time.time())
os.makedirs(os.path.join(out, "mdm-export"), exist_ok=True)

alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
devices = []
for i in range(count):
    serial = "".join(rng.choice(alphabet) for _ in range(12))
    mac = "a4:83:%02x:%02x:%02x:%02x" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)
    devices.append((serial, mac))

with open(os.path.join(out, "mdm-export", "devices.csv"), "w", encoding="utf-8") as f:
    f.write('"Name","Serial Number","UDID","Model","OS Version","Battery Level",'
            '"Available Capacity","Total Capacity","WiFi MAC","Bluetooth MAC","Managed",'
            '"Supervised","Last Check-in","Location"\n')
    for i, (serial, mac) in enumerate(devices):
        contact = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now - rng.randint(0, 86400 * 20)))
        f.write('"iPad %d","%s","00008101-%016X","iPad (10th generation)","17.%d.%d","%d%%",'
                '"%.2f GB","64 GB","%s","","%s","Yes","%s","Schule %d"\n'
                % (i, serial, rng.getrandbits(64), rng.randint(0, 4), rng.randint(0, 2),
                   rng.randint(5, 100), rng.uniform(1, 60), mac.upper(),
                   "Yes" if rng.random() < 0.97 else "No", contact, i % 3))

with open(os.path.join(out, "dnsmasq.leases"), "w") as f:
    for i, (serial, mac) in enumerate(devices):
        if rng.random() < 0.75:
            f.write("%d %s 10.%d.%d.%d ipad-%d 01:%s\n"
                    % (now + rng.randint(-3600, 3600), mac, 20 + i // 65000, i // 250 % 256,
                       i % 250 + 1, i, mac))
    for i in range(300):  # phones and notebooks the MDM does not know
        f.write("%d 3c:22:fb:00:%02x:%02x 10.99.%d.%d phone-%d *\n"
                % (now + 1800, i >> 8, i & 255, i // 250, i % 250 + 1, i))

with open(os.path.join(out, "arp"), "w") as f:
    f.write("IP address       HW type     Flags       HW address            Mask     Device\n")
    for i, (serial, mac) in enumerate(devices):
        if rng.random() < 0.4:
            f.write("10.%d.%d.%d  0x1  0x2  %s  *  eth0\n"
                    % (20 + i // 65000, i // 250 % 256, i % 250 + 1, mac))

with open(os.path.join(out, "pakt-agent.toml"), "w") as f:
    f.write('[mdm]\nexport_dir = "%s"\n[network]\ndnsmasq_leases = "%s"\narp_table = "%s"\n'
            % (os.path.join(out, "mdm-export"), os.path.join(out, "dnsmasq.leases"),
               os.path.join(out, "arp")))
print("wrote %d devices to %s" % (count, out))
