// bench-openmpi: the fmi-bench measurements on MPI (Open MPI 4.1 from Debian),
// with the same harness, so the numbers compare one to one. Run it with
//   mpirun -n 4 --mca pml ob1 --mca btl tcp,self bench-openmpi [fmi-bench options]
// (btl vader,self for shared memory). The transport recorded is the btl list
// mpirun passed (OMPI_MCA_btl), minus "self".
#include "harness/run.hpp"

#include <mpi.h>

#include <cstdlib>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <string>

namespace fmibench {
namespace {

void check_mpi(int code, const char* call) {
    if (code == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    throw std::runtime_error(std::string(call) + " failed: " + std::string(text, static_cast<std::size_t>(length)));
}

int to_count(std::size_t count, const char* call) {
    if (count > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::runtime_error(std::string(call) + ": " + std::to_string(count) + " elements exceed MPI's int count");
    return static_cast<int>(count);
}

// "tcp,self" -> "tcp"; unset -> "default".
std::string btl_label() {
    const char* btl = std::getenv("OMPI_MCA_btl");
    if (!btl || !*btl) return "default";
    std::string label, list = btl;
    for (std::size_t start = 0; start <= list.size();) {
        std::size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        std::string part = list.substr(start, end - start);
        if (part != "self" && !part.empty()) label += (label.empty() ? "" : "+") + part;
        start = end + 1;
    }
    return label.empty() ? "self" : label;
}

// Owns MPI's initialisation: MPI_Finalize in the destructor. Errors are
// returned, not fatal, so they surface as exceptions with the call's name.
class MpiSession {
public:
    MpiSession(int* argc, char*** argv) {
        check_mpi(MPI_Init(argc, argv), "MPI_Init");
        MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    }
    ~MpiSession() { MPI_Finalize(); }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
};

class MpiSystem final : public System {
public:
    MpiSystem() : transport_(btl_label()) {
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string name() const override { return "openmpi"; }
    std::string transport() const override { return transport_; }
    bool supports(Op) const override { return true; }

    void send(ConstBytes data, int peer) override {
        check_mpi(MPI_Send(data.data(), to_count(data.size(), "MPI_Send"), MPI_BYTE, peer, 0, MPI_COMM_WORLD), "MPI_Send");
    }
    void recv(MutableBytes data, int peer) override {
        check_mpi(MPI_Recv(data.data(), to_count(data.size(), "MPI_Recv"), MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE),
                  "MPI_Recv");
    }
    void barrier() override { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }
    void bcast(MutableBytes data, int root) override {
        check_mpi(MPI_Bcast(data.data(), to_count(data.size(), "MPI_Bcast"), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
    void gather(ConstBytes in, MutableBytes out, int root) override {
        int n = to_count(in.size(), "MPI_Gather");
        check_mpi(MPI_Gather(in.data(), n, MPI_BYTE, out.data(), n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Gather");
    }
    void scatter(ConstBytes in, MutableBytes out, int root) override {
        int n = to_count(out.size(), "MPI_Scatter");
        check_mpi(MPI_Scatter(in.data(), n, MPI_BYTE, out.data(), n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Scatter");
    }
    void allgather(ConstBytes in, MutableBytes out) override {
        int n = to_count(in.size(), "MPI_Allgather");
        check_mpi(MPI_Allgather(in.data(), n, MPI_BYTE, out.data(), n, MPI_BYTE, MPI_COMM_WORLD), "MPI_Allgather");
    }
    void reduce_sum(std::span<const float> in, std::span<float> out, int root) override {
        check_mpi(MPI_Reduce(in.data(), out.data(), to_count(in.size(), "MPI_Reduce"), MPI_FLOAT, MPI_SUM, root,
                             MPI_COMM_WORLD),
                  "MPI_Reduce");
    }
    void allreduce_sum(std::span<const float> in, std::span<float> out) override {
        check_mpi(MPI_Allreduce(in.data(), out.data(), to_count(in.size(), "MPI_Allreduce"), MPI_FLOAT, MPI_SUM,
                                MPI_COMM_WORLD),
                  "MPI_Allreduce");
    }
    void scan_sum(std::span<const float> in, std::span<float> out) override {
        check_mpi(MPI_Scan(in.data(), out.data(), to_count(in.size(), "MPI_Scan"), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
                  "MPI_Scan");
    }
    void max_over_peers(std::span<double> values) override {
        check_mpi(MPI_Allreduce(MPI_IN_PLACE, values.data(), to_count(values.size(), "MPI_Allreduce"), MPI_DOUBLE,
                                MPI_MAX, MPI_COMM_WORLD),
                  "MPI_Allreduce");
    }

private:
    int rank_ = 0, size_ = 0;
    std::string transport_;
};

}  // namespace
}  // namespace fmibench

int main(int argc, char** argv) {
    const std::string synopsis =
        "Usage: mpirun -n N [--mca btl tcp,self] bench-openmpi [options]\n\n"
        "The fmi-bench measurements on MPI, for comparison.";
    return fmibench::benchmark_main(argc, argv, "bench-openmpi", synopsis, {},
                                    [&](const fmibench::BenchOptions&, const fmibench::MeasureOne& measure_one) {
        fmibench::MpiSession session(&argc, &argv);
        fmibench::MpiSystem system;
        try {
            measure_one(system);
        } catch (const std::exception& e) {
            // One failing rank must not leave the others blocked in a collective.
            std::cerr << "bench-openmpi: rank " << system.rank() << ": " << e.what() << std::endl;
            MPI_Abort(MPI_COMM_WORLD, 1);
            throw;
        }
    });
}
