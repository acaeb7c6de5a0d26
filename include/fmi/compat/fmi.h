// Compatibility with the original FMI's C++ API (spcl/FMI), so programs
// written for it compile and run unchanged on fmi:
//
//   #include <fmi.h>
//   FMI::Communicator comm(peer_id, num_peers, config_path, comm_name);
//   FMI::Comm::Data<std::vector<int>> vec({0, 1, 2}), part(1);
//   comm.scatter(vec, part, 0);
//   FMI::Utils::Function<int> add([](int a, int b) { return a + b; }, true, true);
//   FMI::Comm::Data<int> id = peer_id, sum;
//   comm.allreduce(id, sum, add);
//
// Put include/fmi/compat on the include path (CMake: fmi::compat) so that
// <fmi.h>, <Communicator.h>, <comm/Data.h>, <utils/Function.h> and
// <utils/Common.h> resolve as they did. Everything maps onto fmi::Communicator's
// untyped layer; the original's config files are accepted as they are.
//
// Differences, all in the safe direction:
// - Data<T> holds any trivially copyable T (the original: fundamental types)
//   and is value-initialised (the original left scalars uninitialised).
// - Errors are fmi's typed exceptions (std::runtime_error underneath, as the
//   original's); FMI::Utils::Timeout is fmi::TimeoutError.
// - A Function<std::vector<A>> is applied to whole vectors, as in the
//   original; its flags are honoured (strict left-to-right order unless both
//   are true), and the caller's send buffer is never modified.
// - register_channel and set_channel_policy are not provided: channels come
//   from the configuration (docs/configuration.md).
#pragma once

#include <fmi/fmi.hpp>

#include <cstddef>
#include <cstring>
#include <functional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace FMI {

namespace Utils {

/// Type for peer ids and counts (the original's).
using peer_num = unsigned int;

/// The optimisation goal of channel selection.
enum Hint { fast, cheap };

/// Thrown when an operation passes its deadline (the original's name).
using Timeout = fmi::TimeoutError;

/// A binary function T(T, T) with the user's algebraic flags.
template <typename T>
class Function {
public:
    Function(std::function<T(T, T)> f, bool commutative, bool associative)
        : commutative(commutative), associative(associative), f_(std::move(f)) {}

    T operator()(T a, T b) const { return f_(a, b); }

    /// User-provided information about commutativity.
    bool commutative;
    /// User-provided information about associativity.
    bool associative;

private:
    std::function<T(T, T)> f_;
};

}  // namespace Utils

namespace Comm {

/// A single value of T, moved as its bytes.
template <typename T>
class Data {
    static_assert(std::is_trivially_copyable_v<T>, "FMI::Comm::Data<T> needs a trivially copyable T");

public:
    Data() = default;
    Data(T value) : val_(value) {}

    std::size_t size_in_bytes() const { return sizeof(T); }
    /// Pointer to the start of the value's bytes.
    char* data() { return reinterpret_cast<char*>(&val_); }
    const char* data() const { return reinterpret_cast<const char*>(&val_); }
    /// The value.
    T get() const { return val_; }

    friend std::ostream& operator<<(std::ostream& o, const Data& d) { return o << d.get(); }
    friend bool operator==(const Data& lhs, const Data& rhs) { return lhs.get() == rhs.get(); }

private:
    T val_{};
};

/// A vector of A, moved as its elements' bytes.
template <typename A>
class Data<std::vector<A>> {
    static_assert(std::is_trivially_copyable_v<A>, "FMI::Comm::Data<std::vector<A>> needs a trivially copyable A");

public:
    Data() = default;
    /// n value-initialised elements (a receive buffer).
    Data(std::size_t n) : val_(n) {}
    Data(std::vector<A> value) : val_(std::move(value)) {}

    std::size_t size_in_bytes() const { return sizeof(A) * val_.size(); }
    char* data() { return reinterpret_cast<char*>(val_.data()); }
    const char* data() const { return reinterpret_cast<const char*>(val_.data()); }
    /// A copy of the vector (as the original).
    std::vector<A> get() const { return val_; }

private:
    std::vector<A> val_;
};

/// Raw memory given by pointer and length; for exceptional cases.
template <>
class Data<void*> {
public:
    Data() = default;
    Data(void* buf, std::size_t len) : buf_(buf), len_(len) {}

    std::size_t size_in_bytes() const { return len_; }
    char* data() { return static_cast<char*>(buf_); }
    const char* data() const { return static_cast<const char*>(buf_); }
    void* get() const { return buf_; }

private:
    void* buf_ = nullptr;
    std::size_t len_ = 0;
};

}  // namespace Comm

namespace compat_detail {

template <typename D>
fmi::ConstBytes bytes(const D& d) {
    return {reinterpret_cast<const std::byte*>(d.data()), d.size_in_bytes()};
}

template <typename D>
fmi::MutableBytes writable(D& d) {
    return {reinterpret_cast<std::byte*>(d.data()), d.size_in_bytes()};
}

/// A scalar Function<T>: element-wise over values of T.
template <typename T>
fmi::ReduceFn reduce_fn(const Utils::Function<T>& f, std::size_t) {
    return fmi::make_reduce(fmi::function<T>([f](const T& a, const T& b) { return f(a, b); }, f.commutative,
                                             f.associative));
}

/// A vector Function<std::vector<A>>: the whole vector is one element, so
/// the function always sees complete vectors, as in the original.
template <typename A>
fmi::ReduceFn reduce_fn(const Utils::Function<std::vector<A>>& f, std::size_t bytes) {
    const std::size_t count = bytes / sizeof(A);
    fmi::ReduceFn fn;
    fn.element_size = count == 0 ? sizeof(A) : bytes;  // an empty vector: nothing is ever combined
    fn.commutative = f.commutative;
    fn.associative = f.associative;
    fn.name = "FMI::Utils::Function<std::vector>";
    fn.apply = [f, count](const void* left, const void* right, void* out, std::size_t elements) {
        for (std::size_t e = 0; e < elements; ++e) {
            const A* l = static_cast<const A*>(left) + e * count;
            const A* r = static_cast<const A*>(right) + e * count;
            std::vector<A> result = f(std::vector<A>(l, l + count), std::vector<A>(r, r + count));
            if (result.size() != count)
                throw fmi::UsageError("FMI::Utils::Function<std::vector>: the function returned " +
                                      std::to_string(result.size()) + " elements for inputs of " +
                                      std::to_string(count));
            std::memcpy(static_cast<A*>(out) + e * count, result.data(), count * sizeof(A));
        }
    };
    return fn;
}

inline fmi::Config load(const std::string& config_path, unsigned int faas_memory) {
    fmi::Config config = config_path.empty() ? fmi::Config{} : fmi::load_config(config_path);
    config.faas_memory_mib = faas_memory;
    return config;
}

}  // namespace compat_detail

/// The original's communicator, over fmi::Communicator.
class Communicator {
public:
    /*!
     * @param peer_id ID of the peer in the range [0 .. num_peers - 1]
     * @param num_peers Number of peers participating in the communicator
     * @param config_path Path to the JSON configuration file (the original's format or ours)
     * @param comm_name Name of the communicator, unique among concurrent ones
     * @param faas_memory Memory of the function in MiB, for the cost model
     */
    Communicator(Utils::peer_num peer_id, Utils::peer_num num_peers, std::string config_path, std::string comm_name,
                 unsigned int faas_memory = 128)
        : comm_(static_cast<int>(peer_id), static_cast<int>(num_peers), std::move(comm_name),
                compat_detail::load(config_path, faas_memory)) {}

    //! Send buf to peer dest
    template <typename T>
    void send(Comm::Data<T>& buf, Utils::peer_num dest) {
        comm_.send_bytes(compat_detail::bytes(buf), static_cast<int>(dest));
    }

    //! Receive data from src into buf (exactly buf's size)
    template <typename T>
    void recv(Comm::Data<T>& buf, Utils::peer_num src) {
        comm_.recv_bytes(compat_detail::writable(buf), static_cast<int>(src));
    }

    //! Broadcast root's buf into every peer's buf
    template <typename T>
    void bcast(Comm::Data<T>& buf, Utils::peer_num root) {
        comm_.bcast_bytes(compat_detail::writable(buf), static_cast<int>(root));
    }

    //! Barrier synchronization collective
    void barrier() { comm_.barrier(); }

    //! Gather every peer's sendbuf into root's recvbuf (num_peers * sendbuf.size)
    template <typename T>
    void gather(Comm::Data<T>& sendbuf, Comm::Data<T>& recvbuf, Utils::peer_num root) {
        comm_.gather_bytes(compat_detail::bytes(sendbuf), compat_detail::writable(recvbuf), static_cast<int>(root));
    }

    //! Scatter root's sendbuf (num_peers * recvbuf.size) to every peer's recvbuf
    template <typename T>
    void scatter(Comm::Data<T>& sendbuf, Comm::Data<T>& recvbuf, Utils::peer_num root) {
        comm_.scatter_bytes(compat_detail::bytes(sendbuf), compat_detail::writable(recvbuf), static_cast<int>(root));
    }

    //! Reduce with f into root's recvbuf (same size as sendbuf)
    template <typename T>
    void reduce(Comm::Data<T>& sendbuf, Comm::Data<T>& recvbuf, Utils::peer_num root, Utils::Function<T> f) {
        comm_.reduce_bytes(compat_detail::bytes(sendbuf), compat_detail::writable(recvbuf),
                           compat_detail::reduce_fn(f, sendbuf.size_in_bytes()), static_cast<int>(root));
    }

    //! Reduce with f and make the result available to all peers
    template <typename T>
    void allreduce(Comm::Data<T>& sendbuf, Comm::Data<T>& recvbuf, Utils::Function<T> f) {
        comm_.allreduce_bytes(compat_detail::bytes(sendbuf), compat_detail::writable(recvbuf),
                              compat_detail::reduce_fn(f, sendbuf.size_in_bytes()));
    }

    //! Inclusive prefix scan
    template <typename T>
    void scan(Comm::Data<T>& sendbuf, Comm::Data<T>& recvbuf, Utils::Function<T> f) {
        comm_.scan_bytes(compat_detail::bytes(sendbuf), compat_detail::writable(recvbuf),
                         compat_detail::reduce_fn(f, sendbuf.size_in_bytes()));
    }

    //! Set the hint (optimization objective) of the channel selection
    void hint(Utils::Hint hint) { comm_.hint(hint == Utils::fast ? fmi::Hint::fast : fmi::Hint::cheap); }

    /// The fmi communicator underneath, for fmi's own API (allgather, statistics, ...).
    fmi::Communicator& native() noexcept { return comm_; }

private:
    fmi::Communicator comm_;
};

}  // namespace FMI
