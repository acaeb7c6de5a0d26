#include "collectives/redis/exchange.hpp"

namespace fmi::detail::redis {

bool exchange_fits(const Mailbox& mb, std::size_t bytes) {
    return bytes * static_cast<std::size_t>(mb.size()) <= mb.inline_limit();
}

Contributions exchange(Mailbox& mb, const OpContext& ctx, ConstBytes payload) {
    const KeySpace& keys = mb.keys();
    std::string wake = keys.wake(ctx.seq), all = keys.all(ctx.seq);
    mb.enter(ctx, std::string(to_string(ctx.op)) + "/exchange", wake, all, payload);
    Cursor cursor{wake};
    const std::string waiting_for = "every peer's contribution";
    mb.append_wait(std::span<const Cursor>(&cursor, 1), ctx, waiting_for);
    mb.append_range(all);

    auto mismatch = [&](const std::string& what) {
        throw MismatchError(describe(ctx, mb.rank()) + ": " + what + ": the peers called different operations");
    };
    std::vector<Entry> woken = mb.read_wait(std::span<Cursor>(&cursor, 1), ctx, waiting_for);
    std::vector<Entry> entries = mb.read_range(all, ctx);
    for (const Entry& w : woken)
        if (w.kind != Entry::Kind::message || w.header.op != ctx.op || w.header.seq != ctx.seq)
            mismatch("the wake-up is of " + std::string(to_string(w.header.op)));

    Contributions result;
    result.of.resize(mb.size());
    std::vector<bool> seen(mb.size(), false);
    for (const Entry& e : entries) {
        const Header& h = e.header;
        if (e.kind != Entry::Kind::message || h.op != ctx.op || h.seq != ctx.seq)
            mismatch("peer " + std::to_string(h.src) + " sent a message of " + to_string(h.op));
        if (h.src < 0 || h.src >= mb.size() || seen[h.src])
            throw IoError(describe(ctx, mb.rank()) + ": stream " + all + " holds a second or unknown message of peer " +
                          std::to_string(h.src));
        if (h.total_bytes != payload.size())
            throw SizeMismatchError(describe(ctx, mb.rank()), h.src, payload.size(), h.total_bytes);
        seen[h.src] = true;
        result.of[h.src] = e.payload;
        result.owner = e.owner;
    }
    if (entries.size() != static_cast<std::size_t>(mb.size()))
        mismatch("only " + std::to_string(entries.size()) + " of " + std::to_string(mb.size()) + " peers contributed");
    mb.leave({wake, all});  // for the next collective's last entry
    return result;
}

}  // namespace fmi::detail::redis
