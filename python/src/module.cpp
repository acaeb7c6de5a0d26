// fmi._fmi: the extension module under the pure-Python package `fmi`.
//
// It binds the untyped layer of fmi::Communicator (send_bytes, ...,
// scan_bytes): buffers arrive as Python buffer-protocol objects, are pinned
// (no copy) and handed to C++ as byte spans. Every operation releases the GIL
// while it runs and holds a per-communicator mutex, so other Python threads
// keep running and two threads never drive one communicator at once. The
// mpi4py-style API, pickling and the original FMI's names are Python
// (python/fmi/); this file stays a thin, typed bridge.
#include "error_translation.hpp"
#include "pinned_buffer.hpp"
#include "reductions.hpp"

#include <fmi/fmi.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace py = pybind11;

namespace fmi::python {

namespace {

using Access = PinnedBuffer::Access;

Hint parse_hint(const std::string& text) {
    if (text == "fast") return Hint::fast;
    if (text == "cheap") return Hint::cheap;
    throw UsageError("hint: expected 'fast' or 'cheap', got '" + text + "'");
}

Operation parse_operation_name(const std::string& text, const char* what) {
    if (auto op = parse_operation(text)) return *op;
    throw UsageError(std::string(what) + ": unknown operation '" + text +
                     "' (send, bcast, barrier, gather, scatter, allgather, reduce, allreduce, scan)");
}

std::optional<ChannelKind> parse_channel_name(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    for (ChannelKind kind : {ChannelKind::direct, ChannelKind::redis, ChannelKind::s3})
        if (*text == to_string(kind)) return kind;
    throw UsageError("pin: unknown channel '" + *text + "' (direct, redis, s3, or None to unpin)");
}

py::dict prediction_dict(const model::Prediction& p) {
    py::dict d;
    d["algorithm"] = p.algorithm;
    d["seconds"] = p.seconds;
    d["requests"] = p.requests;
    d["dollars"] = p.dollars();
    d["request_dollars"] = p.request_dollars;
    d["transfer_dollars"] = p.transfer_dollars;
    d["infrastructure_dollars"] = p.infrastructure_dollars;
    d["faas_dollars"] = p.faas_dollars;
    return d;
}

/// Pins `object` unless it is None (an argument that is ignored on this peer).
PinnedBuffer pin(const py::object& object, Access access, const char* op, const char* role) {
    if (object.is_none()) return PinnedBuffer();
    return PinnedBuffer(object.ptr(), access, op, role);
}

/// One communicator as seen from Python.
class CommunicatorBinding {
public:
    explicit CommunicatorBinding(Communicator comm) : comm_(std::move(comm)) {}

    static std::unique_ptr<CommunicatorBinding> from_environment() {
        py::gil_scoped_release nogil;  // connecting blocks
        return std::make_unique<CommunicatorBinding>(Communicator::from_environment());
    }

    /// config_json wins over config_path; neither: the defaults (plus FMI_*
    /// environment overrides, applied by the Communicator).
    static std::unique_ptr<CommunicatorBinding> create(int peer_id, int num_peers, std::string name,
                                                       std::optional<std::string> config_path,
                                                       std::optional<std::string> config_json,
                                                       std::optional<std::size_t> faas_memory_mib) {
        py::gil_scoped_release nogil;
        Config config;
        if (config_json) config = parse_config(*config_json, "<config given to fmi.Communicator>");
        else if (config_path) config = load_config(*config_path);
        if (faas_memory_mib) config.faas_memory_mib = *faas_memory_mib;
        return std::make_unique<CommunicatorBinding>(
            Communicator(peer_id, num_peers, std::move(name), std::move(config)));
    }

    int peer_id() const { return comm_.peer_id(); }
    int num_peers() const { return comm_.num_peers(); }
    std::string name() const { return comm_.name(); }
    double timeout_seconds() const { return static_cast<double>(comm_.config().timeout.count()) / 1000.0; }

    std::string hint() const { return to_string(comm_.hint()); }
    void set_hint(const std::string& text) {
        Hint h = parse_hint(text);
        blocking([h](Communicator& c) { c.hint(h); });
    }

    void set_budget(double max_seconds, double max_dollars) {
        blocking([&](Communicator& c) { c.budget(model::Budget{max_seconds, max_dollars}); });
    }
    py::dict budget() {
        model::Budget b;
        blocking([&](Communicator& c) { b = c.budget(); });
        py::dict d;
        d["max_seconds"] = b.max_seconds;
        d["max_dollars"] = b.max_dollars;
        return d;
    }

    void pin_channel(const std::optional<std::string>& channel, const std::optional<std::string>& operation) {
        std::optional<ChannelKind> kind = parse_channel_name(channel);
        if (operation) {
            Operation op = parse_operation_name(*operation, "pin");
            blocking([&](Communicator& c) { c.pin(op, kind); });
        } else {
            blocking([&](Communicator& c) { c.pin(kind); });
        }
    }

    void pin_algorithm(const std::optional<std::string>& algorithm, const std::string& operation) {
        Operation op = parse_operation_name(operation, "pin_algorithm");
        blocking([&](Communicator& c) { c.pin_algorithm(op, algorithm); });
    }

    py::dict explain(const std::string& operation, std::size_t bytes) {
        Operation op = parse_operation_name(operation, "explain");
        model::Explanation e;
        blocking([&](Communicator& c) { e = c.explain(op, bytes); });
        py::list candidates;
        for (const auto& candidate : e.candidates) {
            py::dict row = prediction_dict(candidate.prediction);
            row["channel"] = to_string(candidate.channel);
            row["within_budget"] = candidate.within_budget;
            candidates.append(std::move(row));
        }
        py::list excluded;
        for (const auto& x : e.excluded) {
            py::dict row;
            row["channel"] = to_string(x.channel);
            row["reason"] = x.reason;
            excluded.append(std::move(row));
        }
        py::dict d;
        d["operation"] = operation;
        d["bytes"] = bytes;
        d["algorithm"] =
            e.request.algorithm.empty() ? py::object(py::none()) : py::object(py::str(e.request.algorithm));
        d["excluded"] = std::move(excluded);
        d["hint"] = to_string(e.hint);
        d["chosen"] = to_string(e.chosen);
        d["reason"] = e.reason;
        d["candidates"] = std::move(candidates);
        return d;
    }

    std::string summary() {
        std::string text;
        blocking([&](Communicator& c) { text = c.summary(); });
        return text;
    }

    void send(const py::object& buf, int dest) {
        PinnedBuffer data = pin(buf, Access::read, "Send", "buf");
        blocking([&](Communicator& c) { c.send_bytes(data.bytes(), dest); });
    }

    void recv(const py::object& buf, int source) {
        PinnedBuffer data = pin(buf, Access::write, "Recv", "buf");
        blocking([&](Communicator& c) { c.recv_bytes(data.writable_bytes(), source); });
    }

    void bcast(const py::object& buf, int root) {
        // The root only reads its buffer, so read-only data may be broadcast.
        bool is_root = root == comm_.peer_id();
        PinnedBuffer data = pin(buf, is_root ? Access::read : Access::write, "Bcast", "buf");
        blocking([&](Communicator& c) { c.bcast_bytes(data.writable_bytes(), root); });
    }

    void barrier() {
        blocking([](Communicator& c) { c.barrier(); });
    }

    void gather(const py::object& sendbuf, const py::object& recvbuf, int root) {
        PinnedBuffer in = pin(sendbuf, Access::read, "Gather", "sendbuf");
        PinnedBuffer out = root == comm_.peer_id() ? pin(recvbuf, Access::write, "Gather", "recvbuf") : PinnedBuffer();
        blocking([&](Communicator& c) { c.gather_bytes(in.bytes(), out.writable_bytes(), root); });
    }

    void scatter(const py::object& sendbuf, const py::object& recvbuf, int root) {
        PinnedBuffer in = root == comm_.peer_id() ? pin(sendbuf, Access::read, "Scatter", "sendbuf") : PinnedBuffer();
        PinnedBuffer out = pin(recvbuf, Access::write, "Scatter", "recvbuf");
        blocking([&](Communicator& c) { c.scatter_bytes(in.bytes(), out.writable_bytes(), root); });
    }

    void allgather(const py::object& sendbuf, const py::object& recvbuf) {
        PinnedBuffer in = pin(sendbuf, Access::read, "Allgather", "sendbuf");
        PinnedBuffer out = pin(recvbuf, Access::write, "Allgather", "recvbuf");
        blocking([&](Communicator& c) { c.allgather_bytes(in.bytes(), out.writable_bytes()); });
    }

    void reduce(const py::object& sendbuf, const py::object& recvbuf, const ReduceFn& fn, int root) {
        PinnedBuffer in = pin(sendbuf, Access::read, "Reduce", "sendbuf");
        PinnedBuffer out = root == comm_.peer_id() ? pin(recvbuf, Access::write, "Reduce", "recvbuf") : PinnedBuffer();
        blocking([&](Communicator& c) { c.reduce_bytes(in.bytes(), out.writable_bytes(), fn, root); });
    }

    void allreduce(const py::object& sendbuf, const py::object& recvbuf, const ReduceFn& fn) {
        PinnedBuffer in = pin(sendbuf, Access::read, "Allreduce", "sendbuf");
        PinnedBuffer out = pin(recvbuf, Access::write, "Allreduce", "recvbuf");
        blocking([&](Communicator& c) { c.allreduce_bytes(in.bytes(), out.writable_bytes(), fn); });
    }

    void scan(const py::object& sendbuf, const py::object& recvbuf, const ReduceFn& fn) {
        PinnedBuffer in = pin(sendbuf, Access::read, "Scan", "sendbuf");
        PinnedBuffer out = pin(recvbuf, Access::write, "Scan", "recvbuf");
        blocking([&](Communicator& c) { c.scan_bytes(in.bytes(), out.writable_bytes(), fn); });
    }

    py::list statistics() {
        std::vector<OperationStats> stats;
        blocking([&](Communicator& c) { stats = c.statistics(); });
        py::list out;
        for (const auto& s : stats) {
            py::dict row;
            row["channel"] = s.channel;
            row["operation"] = s.operation;
            row["count"] = s.count;
            row["bytes"] = s.bytes;
            row["seconds"] = s.seconds;
            row["predicted_seconds"] = s.predicted_seconds;
            row["requests"] = s.requests;
            row["predicted_requests"] = s.predicted_requests;
            row["predicted_dollars"] = s.predicted_dollars;
            out.append(std::move(row));
        }
        return out;
    }

    void finalize() {
        blocking([](Communicator& c) { c.finalize(); });
    }

private:
    /// Runs `body` without the GIL, serialised with the other threads using
    /// this communicator. The GIL is always released before the mutex is
    /// taken, so a thread waiting for the mutex never holds the GIL that a
    /// Python reduction kernel of the running operation needs.
    template <class Body>
    void blocking(Body&& body) {
        py::gil_scoped_release nogil;
        std::lock_guard lock(mutex_);
        body(comm_);
    }

    Communicator comm_;
    std::mutex mutex_;
};

py::list channels_built() {
    py::list out;
#ifdef FMI_PYTHON_HAVE_DIRECT
    out.append("direct");
#endif
#ifdef FMI_PYTHON_HAVE_REDIS
    out.append("redis");
#endif
#ifdef FMI_PYTHON_HAVE_S3
    out.append("s3");
#endif
    return out;
}

}  // namespace

}  // namespace fmi::python

PYBIND11_MODULE(_fmi, m) {
    using namespace fmi::python;
    using fmi::ReduceFn;
    m.doc() = "fmi's C++ core (internal; use the `fmi` package)";
    m.attr("version") = fmi::version;
    register_error_translator();

    m.def("channels_built", &channels_built, "Channels compiled into this build of fmi.");

    py::class_<ReduceFn>(m, "ReduceFn", "A type-erased element-wise reduction (internal).")
        .def_property_readonly("name", [](const ReduceFn& f) { return f.name; })
        .def_property_readonly("element_size", [](const ReduceFn& f) { return f.element_size; })
        .def_property_readonly("commutative", [](const ReduceFn& f) { return f.commutative; })
        .def_property_readonly("associative", [](const ReduceFn& f) { return f.associative; });

    m.def(
        "native_reduce",
        [](const std::string& op, const std::string& kind, std::size_t itemsize) -> std::optional<ReduceFn> {
            if (kind.size() != 1) throw fmi::UsageError("native_reduce: kind must be one character");
            return native_reduce(parse_op(op), kind[0], itemsize);
        },
        py::arg("op"), py::arg("kind"), py::arg("itemsize"),
        "The C++ kernel of a built-in op for a numpy (kind, itemsize), or None.");
    m.def("python_reduce", &python_reduce, py::arg("kernel"), py::arg("dtype"), py::arg("commutative"),
          py::arg("associative"), py::arg("name"),
          "A reduction calling kernel(left, right, out) on numpy views, under the GIL.");

    py::class_<CommunicatorBinding>(m, "Communicator", "The C++ communicator (internal; use fmi.Communicator).")
        .def_static("from_environment", &CommunicatorBinding::from_environment)
        .def(py::init(&CommunicatorBinding::create), py::arg("peer_id"), py::arg("num_peers"), py::arg("name"),
             py::arg("config_path") = py::none(), py::arg("config_json") = py::none(),
             py::arg("faas_memory_mib") = py::none())
        .def_property_readonly("peer_id", &CommunicatorBinding::peer_id)
        .def_property_readonly("num_peers", &CommunicatorBinding::num_peers)
        .def_property_readonly("name", &CommunicatorBinding::name)
        .def_property_readonly("timeout", &CommunicatorBinding::timeout_seconds)
        .def_property("hint", &CommunicatorBinding::hint, &CommunicatorBinding::set_hint)
        .def("send", &CommunicatorBinding::send, py::arg("buf"), py::arg("dest"))
        .def("recv", &CommunicatorBinding::recv, py::arg("buf"), py::arg("source"))
        .def("bcast", &CommunicatorBinding::bcast, py::arg("buf"), py::arg("root"))
        .def("barrier", &CommunicatorBinding::barrier)
        .def("gather", &CommunicatorBinding::gather, py::arg("sendbuf"), py::arg("recvbuf"), py::arg("root"))
        .def("scatter", &CommunicatorBinding::scatter, py::arg("sendbuf"), py::arg("recvbuf"), py::arg("root"))
        .def("allgather", &CommunicatorBinding::allgather, py::arg("sendbuf"), py::arg("recvbuf"))
        .def("reduce", &CommunicatorBinding::reduce, py::arg("sendbuf"), py::arg("recvbuf"), py::arg("fn"),
             py::arg("root"))
        .def("allreduce", &CommunicatorBinding::allreduce, py::arg("sendbuf"), py::arg("recvbuf"), py::arg("fn"))
        .def("scan", &CommunicatorBinding::scan, py::arg("sendbuf"), py::arg("recvbuf"), py::arg("fn"))
        .def("statistics", &CommunicatorBinding::statistics)
        .def("set_budget", &CommunicatorBinding::set_budget, py::arg("max_seconds"), py::arg("max_dollars"))
        .def("budget", &CommunicatorBinding::budget)
        .def("pin", &CommunicatorBinding::pin_channel, py::arg("channel"), py::arg("operation"))
        .def("pin_algorithm", &CommunicatorBinding::pin_algorithm, py::arg("algorithm"), py::arg("operation"))
        .def("explain", &CommunicatorBinding::explain, py::arg("operation"), py::arg("bytes"))
        .def("summary", &CommunicatorBinding::summary)
        .def("finalize", &CommunicatorBinding::finalize);
}
