"""The follower graph: generator shape, loader errors, gathering followers."""

from __future__ import annotations

import numpy as np
import pytest

from pileon.model import Network, NetworkParams

from .helpers import graph


def test_from_edges_drops_self_loops_and_repeats_and_indexes_by_followee():
    net = graph([(1, 0), (1, 0), (2, 0), (2, 2), (0, 1)], 3)
    assert net.n_edges == 3
    assert net.followers(0).tolist() == [1, 2]
    assert net.followers(1).tolist() == [0]
    assert net.followers(2).tolist() == []


def test_gather_matches_a_python_loop():
    rng = np.random.default_rng(3)
    net = Network.from_edges(rng.integers(0, 50, 400), rng.integers(0, 50, 400), 50)
    users = np.array([3, 7, 3, 49, 0])
    followers, src = net.gather(users)
    expected = [(int(f), k) for k, u in enumerate(users) for f in net.followers(u)]
    assert list(zip(followers.tolist(), src.tolist(), strict=True)) == expected


def test_generated_graph_is_heavy_tailed_with_the_asked_mean_cap_and_reciprocity():
    p = NetworkParams(n_users=100_000, mean_followers=20, reciprocity=0.2, max_followers=1000)
    net = Network.generate(p, np.random.default_rng(0))
    k = net.follower_counts()
    assert k.mean() == pytest.approx(20, rel=0.05)
    assert net.reciprocity() == pytest.approx(0.2, abs=0.03)
    assert k.max() <= 1.2 * 0.01 * 100_000  # the cap holds up to Poisson noise
    assert k.max() > 30 * k.mean()  # hubs
    tail = k[k >= 30]
    gamma = 1 + len(tail) / np.log(tail / 29.5).sum()  # discrete power-law MLE (Clauset et al. 2009)
    assert 2.0 < gamma < 2.7


def test_read_csv_maps_ids_in_order_of_appearance(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text("follower,followee\nalice,bob\ncarol,bob\nbob,alice\n")
    net = Network.read_csv(f)
    assert net.ids.tolist() == ["alice", "bob", "carol"]
    assert sorted(net.followers(1).tolist()) == [0, 2]
    assert net.followers(0).tolist() == [1]


@pytest.mark.parametrize(
    ("content", "where", "what"),
    [
        ("source,target\na,b\n", "line 1", "follower,followee"),
        ("follower,followee\na,b\nc\n", "line 3", "two non-empty fields"),
        ("follower,followee\na,b\nc,d,e\n", "line 3", "two non-empty fields"),
        ("follower,followee\na,b\n,d\n", "line 3", "two non-empty fields"),
        ("follower,followee\n", "", "no edges"),
    ],
)
def test_read_csv_errors_name_file_and_line(tmp_path, content, where, what):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises(ValueError) as e:
        Network.read_csv(f)
    assert str(f) in str(e.value) and where in str(e.value) and what in str(e.value)


def test_read_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        Network.read_csv(tmp_path / "nope.csv")


def test_save_and_load_round_trip(tmp_path):
    net = Network.generate(NetworkParams(n_users=1000), np.random.default_rng(1))
    net.save(tmp_path / "g.npz")
    back = Network.load(tmp_path / "g.npz")
    assert np.array_equal(back.indptr, net.indptr) and np.array_equal(back.indices, net.indices)
    assert back.ids is None


def test_save_and_load_keep_the_original_ids(tmp_path):
    f = tmp_path / "edges.csv"
    f.write_text("follower,followee\nalice,bob\ncarol,bob\nbob,alice\n")
    net = Network.read_csv(f)
    net.save(tmp_path / "g.npz")
    back = Network.load(tmp_path / "g.npz")
    assert back.ids.tolist() == ["alice", "bob", "carol"] and back.ids.dtype == net.ids.dtype
    assert np.array_equal(back.indptr, net.indptr) and np.array_equal(back.indices, net.indices)


def test_with_followers_sets_one_users_audience_exactly_and_leaves_the_rest():
    net = Network.generate(NetworkParams(n_users=5000, mean_followers=10), np.random.default_rng(1))
    user = int(np.argmin(net.follower_counts()))
    for k in (0, 7, 400):
        out = net.with_followers(user, k, np.random.default_rng(2))
        assert len(out.followers(user)) == k and user not in out.followers(user)
        assert len(np.unique(out.followers(user))) == k
        others = np.arange(net.n) != user
        np.testing.assert_array_equal(out.follower_counts()[others], net.follower_counts()[others])
        for v in (0, 1, net.n - 1):
            if v != user:
                np.testing.assert_array_equal(out.followers(v), net.followers(v))
    kept = net.followers(user)
    if len(kept) > 1:  # fewer: a subset of the old followers
        assert set(net.with_followers(user, 1, np.random.default_rng(3)).followers(user)) <= set(kept)
    with pytest.raises(ValueError, match="target_followers=5000: expected fewer than the 5,000 users"):
        net.with_followers(user, 5000, np.random.default_rng(0))


def test_a_saved_folder_loads_memory_mapped_and_read_only(tmp_path):
    net = Network.generate(NetworkParams(n_users=2000), np.random.default_rng(4))
    net.save(tmp_path / "g")
    back = Network.load(tmp_path / "g")
    assert isinstance(back.indices, np.memmap) and not back.indices.flags.writeable
    assert np.array_equal(back.indptr, net.indptr) and np.array_equal(back.indices, net.indices)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g"]  # nothing left beside it
    with pytest.raises(FileNotFoundError, match="not a saved network"):
        Network.load(tmp_path)


def _write_edges(path, follower, followee, pad=""):
    with path.open("w") as fh:
        fh.write("follower,followee\n")
        fh.writelines(f"{pad}u{a}{pad},{pad}u{b}\n" for a, b in zip(follower, followee, strict=True))


def test_read_csv_of_a_generated_graph_gives_the_graph_back(tmp_path):
    # The fast path (pyarrow's reader) on a file of 40,000 edges in shuffled order, string ids.
    net = Network.generate(NetworkParams(n_users=2000), np.random.default_rng(8))
    followee = np.repeat(np.arange(net.n), net.follower_counts())
    order = np.random.default_rng(9).permutation(net.n_edges)
    f = tmp_path / "edges.csv"
    _write_edges(f, net.indices[order], followee[order])
    back = Network.read_csv(f)
    assert back.n_edges == net.n_edges
    original = np.array([int(i[1:]) for i in back.ids])  # the id each user had in the file
    edges = set(zip(original[back.indices].tolist(), np.repeat(original, back.follower_counts()).tolist(), strict=True))
    assert edges == set(zip(net.indices.tolist(), followee.tolist(), strict=True))
    first = [f"u{net.indices[order[0]]}", f"u{followee[order[0]]}"]
    assert back.ids[:2].tolist() == first  # numbered in order of first appearance


def test_read_csv_fast_and_line_by_line_paths_agree(tmp_path):
    rng = np.random.default_rng(5)
    a, b = rng.integers(0, 300, 3000), rng.integers(0, 300, 3000)  # repeats and self-loops included
    f = tmp_path / "edges.csv"
    _write_edges(f, a, b, pad=" ")
    fast, slow = Network.read_csv(f), Network._read_csv_by_line(f)
    assert fast.ids.tolist() == slow.ids.tolist() and fast.ids[0] == f"u{a[0]}"
    assert np.array_equal(fast.indptr, slow.indptr) and np.array_equal(fast.indices, slow.indices)


def test_the_generated_graph_does_not_depend_on_the_number_of_cores():
    import numba

    p = NetworkParams(n_users=30_000)
    before = numba.get_num_threads()
    try:
        graphs = []
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            graphs.append(Network.generate(p, np.random.default_rng(6)))
    finally:
        numba.set_num_threads(before)
    assert all(
        np.array_equal(g.indices, graphs[0].indices) and np.array_equal(g.indptr, graphs[0].indptr) for g in graphs
    )
    k = graphs[0].follower_counts()
    # no self-loops, no repeated followers
    followee = np.repeat(np.arange(p.n_users), k)
    assert not np.any(graphs[0].indices == followee)
    assert len(np.unique(followee * p.n_users + graphs[0].indices)) == graphs[0].n_edges
