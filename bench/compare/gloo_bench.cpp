// bench-gloo: the fmi-bench measurements on Gloo (Debian's libgloo-dev, TCP
// transport), with the same harness. Gloo has no launcher: run it under
// fmirun, which gives each process FMI_PEER_ID and FMI_NUM_PEERS; peers meet
// through Gloo's file store in --store DIR under the prefix FMI_COMM.
//   fmirun -n 4 -- bench-gloo --store /tmp/gloo-store [fmi-bench options]
// Gloo's collectives are its current entry points (gloo/allreduce.h etc.,
// the ones PyTorch's ProcessGroupGloo calls); Gloo has no scan.
#include "harness/run.hpp"

#include <gloo/allgather.h>
#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/gather.h>
#include <gloo/math.h>
#include <gloo/reduce.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/file_store.h>
#include <gloo/rendezvous/prefix_store.h>
#include <gloo/scatter.h>
#include <gloo/transport/tcp/device.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace fmibench {
namespace {

using ReduceFunc = void (*)(void*, const void*, const void*, std::size_t);

int env_int(const char* name) {
    const char* value = std::getenv(name);
    if (!value) throw std::runtime_error(std::string(name) + " is not set: run bench-gloo under fmirun");
    return std::stoi(value);
}

// Gloo's option setters take non-const pointers even for inputs it only reads.
template <class T>
T* mutable_ptr(const T* p) {
    return const_cast<T*>(p);
}
std::uint8_t* byte_ptr(const std::byte* p) {
    return reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(p));
}

struct GlooSettings {
    std::string store_dir = "/tmp/fmi-bench-gloo-store";
    std::string host = "127.0.0.1";
    std::chrono::milliseconds timeout{300'000};  // 64 MiB at 8 oversubscribed peers takes seconds
};

class GlooSystem final : public System {
public:
    explicit GlooSystem(const GlooSettings& settings) {
        const int rank = env_int("FMI_PEER_ID"), size = env_int("FMI_NUM_PEERS");
        const char* comm = std::getenv("FMI_COMM");
        gloo::transport::tcp::attr attr(settings.host.c_str());
        device_ = gloo::transport::tcp::CreateDevice(attr);
        std::filesystem::create_directories(settings.store_dir);
        gloo::rendezvous::FileStore files(settings.store_dir);
        gloo::rendezvous::PrefixStore store(comm ? comm : "bench-gloo", files);
        auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
        context->setTimeout(settings.timeout);
        context->connectFullMesh(store, device_);
        context_ = std::move(context);
    }

    int rank() const override { return context_->rank; }
    int size() const override { return context_->size; }
    std::string name() const override { return "gloo"; }
    std::string transport() const override { return "tcp"; }
    bool supports(Op op) const override { return op != Op::scan; }

    void send(ConstBytes data, int peer) override {
        auto buffer = context_->createUnboundBuffer(const_cast<std::byte*>(data.data()), data.size());
        buffer->send(peer, kPointToPointSlot);
        if (!buffer->waitSend()) throw std::runtime_error("gloo: send to rank " + std::to_string(peer) + " aborted");
    }
    void recv(MutableBytes data, int peer) override {
        auto buffer = context_->createUnboundBuffer(data.data(), data.size());
        buffer->recv(peer, kPointToPointSlot);
        if (!buffer->waitRecv()) throw std::runtime_error("gloo: receive from rank " + std::to_string(peer) + " aborted");
    }
    void barrier() override {
        gloo::BarrierOptions opts(context_);
        gloo::barrier(opts);
    }
    void bcast(MutableBytes data, int root) override {
        gloo::BroadcastOptions opts(context_);
        opts.setOutput(byte_ptr(data.data()), data.size());
        opts.setRoot(root);
        gloo::broadcast(opts);
    }
    void gather(ConstBytes in, MutableBytes out, int root) override {
        gloo::GatherOptions opts(context_);
        opts.setInput(byte_ptr(in.data()), in.size());
        opts.setOutput(byte_ptr(out.data()), out.size());
        opts.setRoot(root);
        gloo::gather(opts);
    }
    void scatter(ConstBytes in, MutableBytes out, int root) override {
        gloo::ScatterOptions opts(context_);
        std::vector<std::uint8_t*> blocks;
        for (int p = 0; p < size(); ++p) blocks.push_back(byte_ptr(in.data()) + static_cast<std::size_t>(p) * out.size());
        opts.setInputs(blocks, out.size());
        opts.setOutput(byte_ptr(out.data()), out.size());
        opts.setRoot(root);
        gloo::scatter(opts);
    }
    void allgather(ConstBytes in, MutableBytes out) override {
        gloo::AllgatherOptions opts(context_);
        opts.setInput(byte_ptr(in.data()), in.size());
        opts.setOutput(byte_ptr(out.data()), out.size());
        gloo::allgather(opts);
    }
    void reduce_sum(std::span<const float> in, std::span<float> out, int root) override {
        gloo::ReduceOptions opts(context_);
        opts.setInput(mutable_ptr(in.data()), in.size());
        opts.setOutput(out.data(), out.size());
        opts.setRoot(root);
        opts.setReduceFunction(static_cast<ReduceFunc>(&gloo::sum<float>));
        gloo::reduce(opts);
    }
    void allreduce_sum(std::span<const float> in, std::span<float> out) override {
        gloo::AllreduceOptions opts(context_);
        opts.setInput(mutable_ptr(in.data()), in.size());
        opts.setOutput(out.data(), out.size());
        opts.setReduceFunction(static_cast<ReduceFunc>(&gloo::sum<float>));
        gloo::allreduce(opts);
    }
    void max_over_peers(std::span<double> values) override {
        gloo::AllreduceOptions opts(context_);
        opts.setOutput(values.data(), values.size());  // in place: the output is the input
        opts.setReduceFunction(static_cast<ReduceFunc>(&gloo::max<double>));
        gloo::allreduce(opts);
    }

private:
    static constexpr std::uint64_t kPointToPointSlot = 1;
    std::shared_ptr<gloo::transport::Device> device_;
    std::shared_ptr<gloo::Context> context_;
};

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    fmibench::GlooSettings settings;
    std::vector<fmibench::ExtraOption> extras{
        {"--store", "DIR", "directory of Gloo's file store (default /tmp/fmi-bench-gloo-store); keys are prefixed with FMI_COMM",
         [&](const std::string& v) { settings.store_dir = v; }},
        {"--host", "ADDRESS", "address the peers listen on (default 127.0.0.1)",
         [&](const std::string& v) { settings.host = v; }},
    };
    const std::string synopsis =
        "Usage: fmirun -n N -- bench-gloo [--store DIR] [options]\n\n"
        "The fmi-bench measurements on Gloo (TCP transport), for comparison.";
    return fmibench::benchmark_main(argc, argv, "bench-gloo", synopsis, extras,
                                    [&](const fmibench::BenchOptions&, const fmibench::MeasureOne& measure_one) {
        fmibench::GlooSystem system(settings);
        measure_one(system);
    });
}
