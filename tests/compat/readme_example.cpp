// The original FMI's README C++ example, unchanged between the markers; only
// the `...` it elides is filled in (where peer_id, config_path and comm_name
// come from). Run as exactly 3 peers, as the README assumes:
//
//   fmirun -n 3 -- compat_readme_example original_config.json
#undef NDEBUG  // the example checks its results with assert
#include <fmi.h>

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CONFIG (run under fmirun -n 3)\n", argv[0]);
        return 2;
    }
    const char* id_text = std::getenv("FMI_PEER_ID");
    const char* comm_text = std::getenv("FMI_COMM");
    if (id_text == nullptr || comm_text == nullptr) {
        std::fprintf(stderr, "FMI_PEER_ID and FMI_COMM must be set (run under fmirun -n 3)\n");
        return 2;
    }
    int peer_id = std::atoi(id_text);
    std::string config_path = argv[1];
    std::string comm_name = comm_text;

    // ---- the README, verbatim ----
    FMI::Communicator comm(peer_id, 3, config_path, comm_name);
    FMI::Comm::Data<double> d;
    FMI::Comm::Data<std::vector<int>> vec({0, 1, 2});
    if (peer_id == 0) {
        d = 42.0;
    }
    FMI::Comm::Data<std::vector<int>> recv(1);
    comm.bcast(d, 0);
    comm.scatter(vec, recv, 0);
    assert(d == 42.0);
    assert(recv.get()[0] == peer_id);
    FMI::Utils::Function<int> f([] (int a, int b) {return a + b;}, true, true);
    FMI::Comm::Data<int> id = peer_id;
    FMI::Comm::Data<int> id_sum;
    comm.allreduce(id, id_sum, f);
    assert(id_sum == 3);
    // ---- end of the README ----

    std::printf("peer %d: README example passed (id_sum %d)\n", peer_id, id_sum.get());
    return 0;
}
