#include "fmi_system.hpp"

#include <vector>

namespace fmibench {

FmiSystem::FmiSystem(fmi::Communicator& comm, std::string transport) : comm_(comm), transport_(std::move(transport)) {}

void FmiSystem::reduce_sum(std::span<const float> in, std::span<float> out, int root) {
    comm_.reduce_bytes(std::as_bytes(in), std::as_writable_bytes(out), sum_, root);
}

void FmiSystem::allreduce_sum(std::span<const float> in, std::span<float> out) {
    comm_.allreduce_bytes(std::as_bytes(in), std::as_writable_bytes(out), sum_);
}

void FmiSystem::scan_sum(std::span<const float> in, std::span<float> out) {
    comm_.scan_bytes(std::as_bytes(in), std::as_writable_bytes(out), sum_);
}

void FmiSystem::max_over_peers(std::span<double> values) {
    std::vector<double> in(values.begin(), values.end());
    comm_.allreduce_bytes(std::as_bytes(std::span(in)), std::as_writable_bytes(values), max_);
}

}  // namespace fmibench
