// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A list of problems that keeps at most a fixed number and counts the rest. Every error list an
// answer carries is built with it (fields of a JSON body, lines of a delivery list or school list,
// entries of a check-in report), so an input with a hundred thousand faults costs a small answer
// and little memory instead of one entry per fault. Not thread-safe (like a std::vector).
#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

namespace pakt {

/// How many problems an answer lists; the rest are only counted (problem+json `more_errors`).
inline constexpr std::size_t kMaxListedProblems = 50;

template <class Problem>
class ProblemList {
  public:
    using value_type = Problem;
    using const_iterator = typename std::vector<Problem>::const_iterator;
    using iterator = const_iterator;

    ProblemList() = default;
    explicit ProblemList(std::size_t max_listed) : max_listed_(max_listed) {}
    /// From problems collected elsewhere: the first kMaxListedProblems are listed.
    ProblemList(std::initializer_list<Problem> problems) {
        for (const auto& p : problems) add(p);
    }
    ProblemList(std::vector<Problem> problems) {  // NOLINT: implicit, like the vector it replaces
        if (problems.size() > max_listed_) {
            unlisted_ = problems.size() - max_listed_;
            problems.resize(max_listed_);
        }
        listed_ = std::move(problems);
    }

    /// Lists `problem` while fewer than the maximum are listed; afterwards only counts it.
    void add(Problem problem) {
        if (full())
            ++unlisted_;
        else
            listed_.push_back(std::move(problem));
    }
    /// Like add(), but `make()` (which returns the problem) runs only if the problem is listed:
    /// the key copied or the message formatted is skipped for those only counted.
    template <class Make>
    void add_with(Make&& make) {
        if (full())
            ++unlisted_;
        else
            listed_.push_back(std::forward<Make>(make)());
    }
    /// Counts `count` problems that are not listed (e.g. those another list only counted).
    void count_unlisted(std::size_t count) { unlisted_ += count; }
    /// Adds every problem of `other` (listed ones while there is room) and its count.
    template <class Other, class Convert>
    void append(const ProblemList<Other>& other, Convert&& convert) {
        for (const auto& p : other) add(convert(p));
        unlisted_ += other.unlisted();
    }
    void append(ProblemList&& other) {
        for (auto& p : other.listed_) add(std::move(p));
        unlisted_ += other.unlisted_;
    }

    /// No problem at all (listed or counted).
    bool empty() const { return listed_.empty() && unlisted_ == 0; }
    /// Whether the next problem would only be counted.
    bool full() const { return listed_.size() >= max_listed_; }
    /// The number of problems listed (at most the maximum).
    std::size_t size() const { return listed_.size(); }
    /// The number of problems counted but not listed.
    std::size_t unlisted() const { return unlisted_; }
    /// Every problem, listed or not.
    std::size_t total() const { return listed_.size() + unlisted_; }

    const std::vector<Problem>& listed() const { return listed_; }
    const_iterator begin() const { return listed_.begin(); }
    const_iterator end() const { return listed_.end(); }
    const Problem& front() const { return listed_.front(); }
    const Problem& operator[](std::size_t i) const { return listed_[i]; }

    /// Orders the listed problems (e.g. by line); stable, so equal ones keep their order.
    template <class Less>
    void sort(Less less) {
        std::stable_sort(listed_.begin(), listed_.end(), less);
    }
    void clear() {
        listed_.clear();
        unlisted_ = 0;
    }

  private:
    std::size_t max_listed_ = kMaxListedProblems;
    std::vector<Problem> listed_;
    std::size_t unlisted_ = 0;
};

}  // namespace pakt
