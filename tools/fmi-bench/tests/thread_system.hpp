// A System of N threads in one process, for testing the harness: messages go
// through per-pair queues, collectives are computed naively through a shared
// board (every peer posts its buffers, waits, reads the others'). A `Fault`
// makes one operation deliberately wrong, to prove the checks catch it.
#pragma once

#include "harness/system.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmibench::test {

enum class Fault { none, scan_as_allreduce, bcast_skips_last_byte, gather_swaps_blocks };

/// State shared by the N threads.
class ThreadWorld {
public:
    explicit ThreadWorld(int size, Fault fault = Fault::none)
        : inputs_(size), outputs_(size), size_(size), fault_(fault) {}

    int size() const { return size_; }
    Fault fault() const { return fault_; }

    void post(int from, int to, ConstBytes data) {
        std::lock_guard lock(mutex_);
        queues_[{from, to}].emplace_back(data.begin(), data.end());
        arrived_.notify_all();
    }
    std::vector<std::byte> take(int from, int to) {
        std::unique_lock lock(mutex_);
        auto& q = queues_[{from, to}];
        wait_or_throw(lock, [&] { return !q.empty(); },
                      "thread " + std::to_string(to) + " waiting for a message from " + std::to_string(from));
        std::vector<std::byte> message = std::move(q.front());
        q.pop_front();
        return message;
    }
    /// A barrier of all threads; a thread that failed before reaching it
    /// makes the others throw after kPatience instead of hanging the test.
    void sync() {
        std::unique_lock lock(mutex_);
        const std::uint64_t generation = generation_;
        if (++waiting_ == size_) {
            waiting_ = 0;
            ++generation_;
            arrived_.notify_all();
            return;
        }
        wait_or_throw(lock, [&] { return generation_ != generation; }, "a barrier of " + std::to_string(size_));
    }

    // The board: each peer's input and output buffers during one collective.
    std::vector<const std::byte*> inputs_;
    std::vector<std::byte*> outputs_;

private:
    static constexpr std::chrono::seconds kPatience{30};

    template <class Ready>
    void wait_or_throw(std::unique_lock<std::mutex>& lock, Ready ready, const std::string& what) {
        if (!arrived_.wait_for(lock, kPatience, ready))
            throw std::runtime_error(what + ": nothing after " + std::to_string(kPatience.count()) + " s");
    }

    int size_;
    Fault fault_;
    int waiting_ = 0;                ///< threads in the current barrier
    std::uint64_t generation_ = 0;   ///< barriers completed
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::map<std::pair<int, int>, std::deque<std::vector<std::byte>>> queues_;
};

class ThreadSystem final : public System {
public:
    ThreadSystem(ThreadWorld& world, int rank) : w_(world), rank_(rank) {}

    int rank() const override { return rank_; }
    int size() const override { return w_.size(); }
    std::string name() const override { return "threads"; }
    std::string transport() const override { return "memory"; }
    bool supports(Op) const override { return true; }

    void send(ConstBytes data, int peer) override { w_.post(rank_, peer, data); }
    void recv(MutableBytes data, int peer) override {
        std::vector<std::byte> m = w_.take(peer, rank_);
        if (m.size() != data.size()) throw std::runtime_error("size mismatch");
        std::memcpy(data.data(), m.data(), m.size());
    }
    void barrier() override { w_.sync(); }

    void bcast(MutableBytes data, int root) override {
        exchange(data.data(), data.data(), [&] {
            std::size_t n = data.size();
            if (w_.fault() == Fault::bcast_skips_last_byte && n > 0) --n;
            if (rank_ != root) std::memcpy(data.data(), w_.inputs_[static_cast<std::size_t>(root)], n);
        });
    }
    void gather(ConstBytes in, MutableBytes out, int root) override {
        exchange(in.data(), out.data(), [&] {
            if (rank_ != root) return;
            for (int p = 0; p < size(); ++p) {
                int from = w_.fault() == Fault::gather_swaps_blocks ? size() - 1 - p : p;
                std::memcpy(out.data() + static_cast<std::size_t>(p) * in.size(),
                            w_.inputs_[static_cast<std::size_t>(from)], in.size());
            }
        });
    }
    void scatter(ConstBytes in, MutableBytes out, int root) override {
        exchange(in.data(), out.data(), [&] {
            std::memcpy(out.data(), w_.inputs_[static_cast<std::size_t>(root)] + static_cast<std::size_t>(rank_) * out.size(),
                        out.size());
        });
    }
    void allgather(ConstBytes in, MutableBytes out) override {
        exchange(in.data(), out.data(), [&] {
            for (int p = 0; p < size(); ++p)
                std::memcpy(out.data() + static_cast<std::size_t>(p) * in.size(), w_.inputs_[static_cast<std::size_t>(p)],
                            in.size());
        });
    }
    void reduce_sum(std::span<const float> in, std::span<float> out, int root) override {
        sum_over(in, out, size(), rank_ == root);
    }
    void allreduce_sum(std::span<const float> in, std::span<float> out) override { sum_over(in, out, size(), true); }
    void scan_sum(std::span<const float> in, std::span<float> out) override {
        sum_over(in, out, w_.fault() == Fault::scan_as_allreduce ? size() : rank_ + 1, true);
    }
    void max_over_peers(std::span<double> values) override {
        std::vector<double> mine(values.begin(), values.end());
        exchange(std::as_bytes(std::span(mine)).data(), nullptr, [&] {
            for (int p = 0; p < size(); ++p) {
                const double* theirs = reinterpret_cast<const double*>(w_.inputs_[static_cast<std::size_t>(p)]);
                for (std::size_t i = 0; i < values.size(); ++i) values[i] = std::max(values[i], theirs[i]);
            }
        });
    }

private:
    // Post my buffers, wait for everyone, run `body` reading the others',
    // wait again so no buffer changes while someone still reads it.
    template <class Body>
    void exchange(const std::byte* in, std::byte* out, Body&& body) {
        w_.inputs_[static_cast<std::size_t>(rank_)] = in;
        w_.outputs_[static_cast<std::size_t>(rank_)] = out;
        w_.sync();
        body();
        w_.sync();
    }
    void sum_over(std::span<const float> in, std::span<float> out, int peers, bool write) {
        exchange(std::as_bytes(in).data(), nullptr, [&] {
            if (!write) return;
            for (std::size_t i = 0; i < in.size(); ++i) {
                float total = 0;
                for (int p = 0; p < peers; ++p)
                    total += reinterpret_cast<const float*>(w_.inputs_[static_cast<std::size_t>(p)])[i];
                out[i] = total;
            }
        });
    }

    ThreadWorld& w_;
    int rank_;
};

}  // namespace fmibench::test
