// fmi as a system under test: the benchmark operations mapped onto a
// Communicator's public API (the untyped layer, so nothing is copied).
#pragma once

#include "harness/system.hpp"

#include <fmi/fmi.hpp>

#include <string>

namespace fmibench {

class FmiSystem final : public System {
public:
    /// `transport` names the channel the communicator is pinned to ("auto" if none).
    FmiSystem(fmi::Communicator& comm, std::string transport);

    int rank() const override { return comm_.peer_id(); }
    int size() const override { return comm_.num_peers(); }
    std::string name() const override { return "fmi"; }
    std::string transport() const override { return transport_; }
    bool supports(Op) const override { return true; }

    void send(ConstBytes data, int peer) override { comm_.send_bytes(data, peer); }
    void recv(MutableBytes data, int peer) override { comm_.recv_bytes(data, peer); }
    void barrier() override { comm_.barrier(); }
    void bcast(MutableBytes data, int root) override { comm_.bcast_bytes(data, root); }
    void gather(ConstBytes in, MutableBytes out, int root) override { comm_.gather_bytes(in, out, root); }
    void scatter(ConstBytes in, MutableBytes out, int root) override { comm_.scatter_bytes(in, out, root); }
    void allgather(ConstBytes in, MutableBytes out) override { comm_.allgather_bytes(in, out); }
    void reduce_sum(std::span<const float> in, std::span<float> out, int root) override;
    void allreduce_sum(std::span<const float> in, std::span<float> out) override;
    void scan_sum(std::span<const float> in, std::span<float> out) override;
    void max_over_peers(std::span<double> values) override;

private:
    fmi::Communicator& comm_;
    std::string transport_;
    fmi::ReduceFn sum_ = fmi::make_reduce<float>(fmi::Op::sum);  // built once, not per operation
    fmi::ReduceFn max_ = fmi::make_reduce<double>(fmi::Op::max);
};

}  // namespace fmibench
