// 01_hello: the first fmi program. Run it as 4 peers with
//   fmirun -n 4 ./hello
// Every peer contributes a vector; allreduce sums them; peer 0 prints the
// result and checks it against the closed form.
#include <fmi/fmi.hpp>

#include <cstdio>
#include <numeric>
#include <vector>

int main() {
    // fmirun sets FMI_PEER_ID, FMI_NUM_PEERS, FMI_COMM (and FMI_CONFIG).
    fmi::Communicator comm = fmi::Communicator::from_environment();
    const int me = comm.peer_id();
    const int n = comm.num_peers();
    std::printf("hello from peer %d of %d in communicator '%s'\n", me, n, comm.name().c_str());

    // Peer p contributes (p + 1) * [1, 2, 3, 4].
    std::vector<long> mine{1, 2, 3, 4};
    for (long& x : mine) x *= me + 1;
    std::vector<long> total(mine.size());
    comm.allreduce(mine, total, fmi::Op::sum);

    // Inclusive scan of a scalar: peer p gets 1 + 2 + ... + (p + 1).
    long prefix = comm.scan(long(me + 1), fmi::Op::sum);
    std::printf("peer %d: prefix sum %ld\n", me, prefix);

    comm.barrier();
    if (me == 0) {
        long factor = long(n) * (n + 1) / 2;  // 1 + 2 + ... + n
        std::printf("allreduce(sum) over %d peers = [%ld, %ld, %ld, %ld] (expected %ld x [1, 2, 3, 4])\n", n,
                    total[0], total[1], total[2], total[3], factor);
        for (std::size_t i = 0; i < total.size(); ++i)
            if (total[i] != factor * long(i + 1)) return 1;
    }
    return 0;
}
