// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// Waiting for a child process's ready file (written by rename once it serves): watch the
// directory, and re-check on a short interval too (a rename can be missed by inotify on some file
// systems), until a bounded deadline or the child's exit.
import fs from 'node:fs';
import path from 'node:path';

const kReadyTimeoutMs = 30_000;

/**
 * Resolves to `read(file)` once that returns a value. `what` names the child in errors;
 * `exited()` is its exit status or null, `exitPromise` settles when it exits, `log()` its output.
 */
export function waitForReadyFile({ file, read, what, exited, exitPromise, log }) {
    return new Promise((resolve, reject) => {
        const check = () => {
            const value = read(file);
            if (value) return finish(null, value);
            if (exited()) {
                return finish(new Error(`${what} exited (${JSON.stringify(exited())}) before it was ` +
                    `ready:\n${log()}`));
            }
        };
        const watcher = fs.watch(path.dirname(file), check);
        const interval = setInterval(check, 50);
        const deadline = setTimeout(() => finish(new Error(
            `${what} did not write ${file} within ${kReadyTimeoutMs} ms:\n${log()}`)), kReadyTimeoutMs);
        exitPromise.then(check);
        function finish(error, value) {
            watcher.close();
            clearInterval(interval);
            clearTimeout(deadline);
            if (error) reject(error); else resolve(value);
        }
        check();
    });
}
