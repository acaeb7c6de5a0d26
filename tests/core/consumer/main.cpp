#include <fmi/fmi.hpp>

#include <cstdio>

int main() {
    auto comm = fmi::Communicator::from_environment();
    int total = comm.allreduce(comm.peer_id() + 1, fmi::Op::sum);
    int want = comm.num_peers() * (comm.num_peers() + 1) / 2;
    std::printf("consumer: peer %d total %d\n", comm.peer_id(), total);
    return total == want ? 0 : 1;
}
