#include "rendezvous/registry.hpp"

namespace fmi::detail::rendezvous {

namespace {
std::string quoted(const std::string& name) { return "'" + name + "'"; }
}  // namespace

Registry::Outcome Registry::add(ClientId client, const RegisterMessage& m, const Endpoint& observed,
                                Clock::time_point now) {
    Outcome out;
    const std::string who = "peer " + std::to_string(m.peer_id) + " of communicator " + quoted(m.comm);
    if (by_client_.count(client)) {
        out.error = refuse(ErrorCode::already_registered, "this connection already registered a peer");
        return out;
    }
    if (m.comm.empty() || m.comm.size() > kMaxCommunicatorNameBytes) {
        out.error = refuse(ErrorCode::bad_name, "communicator name must have 1.." +
                                                    std::to_string(kMaxCommunicatorNameBytes) + " bytes, got " +
                                                    std::to_string(m.comm.size()));
        return out;
    }
    if (m.peer_count == 0 || m.peer_id >= m.peer_count) {
        out.error = refuse(ErrorCode::bad_peer, who + ": peer id must be below the peer count " +
                                                    std::to_string(m.peer_count));
        return out;
    }
    if (m.peer_count > limits_.max_peers_per_communicator) {
        out.error = refuse(ErrorCode::too_many_peers,
                           who + ": " + std::to_string(m.peer_count) + " peers exceed this server's limit of " +
                               std::to_string(limits_.max_peers_per_communicator));
        return out;
    }
    auto it = comms_.find(m.comm);
    if (it == comms_.end()) {
        if (comms_.size() >= limits_.max_communicators) {
            out.error = refuse(ErrorCode::too_many_communicators,
                               who + ": this server already holds its limit of " +
                                   std::to_string(limits_.max_communicators) + " incomplete communicators");
            return out;
        }
        it = comms_.emplace(m.comm, Communicator{m.peer_count, {}}).first;
    }
    Communicator& comm = it->second;
    if (comm.peer_count != m.peer_count) {
        out.error = refuse(ErrorCode::count_mismatch,
                           who + " registered with " + std::to_string(m.peer_count) +
                               " peers but earlier peers registered with " + std::to_string(comm.peer_count));
        return out;
    }
    if (comm.peers.count(m.peer_id)) {
        out.error = refuse(ErrorCode::duplicate_peer, who + " is already registered by another live connection");
        return out;
    }
    comm.peers.emplace(m.peer_id, Registration{client, m.endpoints, observed, now});
    by_client_.emplace(client, Slot{m.comm, m.peer_id});
    if (comm.peers.size() < comm.peer_count) return out;

    // Complete: answer everyone with one shared frame and forget it all.
    PeersMessage answer;
    answer.comm = m.comm;
    answer.peers.reserve(comm.peers.size());
    for (auto& [id, reg] : comm.peers) {  // std::map: ascending ids
        answer.peers.push_back(PeerEntry{id, std::move(reg.endpoints), reg.observed});
        out.answer_to.push_back(reg.client);
        by_client_.erase(reg.client);
    }
    out.answer = std::make_shared<const Bytes>(encode(answer));
    comms_.erase(it);
    return out;
}

void Registry::remove(ClientId client) {
    auto slot = by_client_.find(client);
    if (slot == by_client_.end()) return;
    auto comm = comms_.find(slot->second.comm);
    if (comm != comms_.end()) {
        comm->second.peers.erase(slot->second.peer_id);
        if (comm->second.peers.empty()) comms_.erase(comm);
    }
    by_client_.erase(slot);
}

std::vector<Registry::Expiry> Registry::expire(Clock::time_point now) {
    std::vector<Expiry> expired;
    for (auto it = comms_.begin(); it != comms_.end();) {
        Communicator& comm = it->second;
        const std::size_t registered = comm.peers.size();
        for (auto p = comm.peers.begin(); p != comm.peers.end();) {
            if (now - p->second.at < limits_.registration_ttl) {
                ++p;
                continue;
            }
            expired.push_back({p->second.client,
                               refuse(ErrorCode::expired,
                                      "registration of peer " + std::to_string(p->first) + " of communicator " +
                                          quoted(it->first) + " expired after " +
                                          std::to_string(limits_.registration_ttl.count()) + " ms with " +
                                          std::to_string(registered) + " of " + std::to_string(comm.peer_count) +
                                          " peers registered")});
            by_client_.erase(p->second.client);
            p = comm.peers.erase(p);
        }
        it = comm.peers.empty() ? comms_.erase(it) : std::next(it);
    }
    return expired;
}

}  // namespace fmi::detail::rendezvous
