// Names of operations, shared by the model section, explanations and summaries.
#include <fmi/model.hpp>

#include <array>
#include <utility>

namespace fmi {

namespace {
constexpr std::array<std::pair<Operation, const char*>, 9> names{{
    {Operation::send, "send"},
    {Operation::bcast, "bcast"},
    {Operation::barrier, "barrier"},
    {Operation::gather, "gather"},
    {Operation::scatter, "scatter"},
    {Operation::allgather, "allgather"},
    {Operation::reduce, "reduce"},
    {Operation::allreduce, "allreduce"},
    {Operation::scan, "scan"},
}};
}  // namespace

const char* to_string(Operation op) noexcept {
    for (const auto& [o, name] : names)
        if (o == op) return name;
    return "unknown";
}

std::optional<Operation> parse_operation(std::string_view name) noexcept {
    for (const auto& [o, n] : names)
        if (name == n) return o;
    return std::nullopt;
}

}  // namespace fmi
