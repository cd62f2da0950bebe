#include "tools/benchmarks/bench_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pakt::bench {

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank =
        static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(rank, sorted.size() - 1)];
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one;
    in >> one;
    return one.empty() ? "unknown" : one;
}

double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const auto close = line.rfind(')');
    if (close == std::string::npos) throw std::runtime_error("unexpected /proc/<pid>/stat format");
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    // After the name: state is field 3; utime and stime are fields 14 and 15.
    for (int i = 3; i < 14; ++i) fields >> field;
    unsigned long long utime = 0, stime = 0;
    fields >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::int64_t process_write_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    std::int64_t value = 0;
    while (in >> key >> value) {
        if (key == "write_bytes:") return value;
    }
    return -1;
}

}  // namespace pakt::bench
