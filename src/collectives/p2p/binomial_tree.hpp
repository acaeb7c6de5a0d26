// One peer's place in a binomial tree rooted at any peer.
//
// Ranks are taken relative to the root, v = (rank - root) mod P. The parent
// of v != 0 is v with its lowest set bit cleared; the children of v are
// v + 2^k for every 2^k below v's lowest set bit (every 2^k < P for the
// root). The subtree of v covers the relative ranks [v, v + count), so a
// relay's blocks are contiguous in relative order.
#pragma once

#include <array>
#include <cstddef>

namespace fmi::detail::p2p {

class BinomialTree {
public:
    struct Node {
        int rank;   // actual peer id
        int vrank;  // rank relative to the root
        int count;  // peers in its subtree (itself included)
    };

    BinomialTree(int rank, int root, int size) : size_(size), root_(root) {
        vrank_ = (rank - root + size) % size;
        int limit = 1;
        if (vrank_ == 0) {
            while (limit < size) limit <<= 1;
            count_ = size;
        } else {
            limit = vrank_ & -vrank_;
            count_ = limit < size - vrank_ ? limit : size - vrank_;
            parent_ = actual(vrank_ - limit);
        }
        for (int mask = 1; mask < limit; mask <<= 1) {
            int child = vrank_ + mask;
            if (child >= size) break;
            int child_count = mask < size - child ? mask : size - child;
            children_[num_children_++] = Node{actual(child), child, child_count};
        }
    }

    int vrank() const noexcept { return vrank_; }
    /// Peers in this peer's subtree, itself included (all P at the root).
    int count() const noexcept { return count_; }
    /// Actual id of the parent; -1 at the root.
    int parent() const noexcept { return parent_; }
    int num_children() const noexcept { return num_children_; }
    /// Children by increasing subtree size (0: the nearest, a single peer).
    const Node& child(int i) const noexcept { return children_[static_cast<std::size_t>(i)]; }
    /// Actual id of a relative rank.
    int actual(int v) const noexcept { return (v + root_) % size_; }
    /// True when `child`'s subtree is the actual ids actual(child.vrank) ..
    /// + count - 1 without wrapping past P - 1: its blocks are then one
    /// contiguous range of a buffer of P blocks in peer order (the root's
    /// gather output, its scatter input).
    bool in_peer_order(const Node& child) const noexcept { return actual(child.vrank) + child.count <= size_; }
    /// Where `child`'s subtree starts within this peer's, in blocks (a
    /// relay's scratch holds its subtree's blocks in relative order).
    std::size_t offset_of(const Node& child) const noexcept {
        return static_cast<std::size_t>(child.vrank - vrank_);
    }
    /// Calls f(j, peer) for each block of `child`'s subtree: j its place in
    /// the subtree's region, peer its actual id (packing or unpacking a
    /// region that wraps past P - 1, or that is sliced).
    template <class F>
    void for_each_block(const Node& child, F&& f) const {
        for (int j = 0; j < child.count; ++j)
            f(static_cast<std::size_t>(j), static_cast<std::size_t>(actual(child.vrank + j)));
    }

private:
    int size_, root_;
    int vrank_ = 0;
    int count_ = 1;
    int parent_ = -1;
    int num_children_ = 0;
    std::array<Node, 32> children_{};  // at most log2(INT_MAX) children
};

}  // namespace fmi::detail::p2p
