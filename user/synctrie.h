/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * synctrie: sync.Map of Go >= 1.24, which is internal/sync.HashTrieMap[any,
 * any] (GOEXPERIMENT=synchashtriemap, the default since 1.24): a hash trie
 * of 16-way indirect nodes whose leaves are entries, with no runtime map
 * and no entry count anywhere.  Its growth is seen at two uprobes
 * (GM_PROBE_TRIE_INIT on initSlow, once per trie; GM_PROBE_TRIE_EXPAND on
 * expand, an insert that adds indirect nodes) and its entries are counted
 * here, by walking the trie in the target's memory.
 *
 * Layout (amd64), the same in Go 1.24, 1.25, 1.26 and 1.27
 * (src/internal/sync/hashtriemap.go; pinned against each release's DWARF
 * by tests/e2e/test_stackmaps.sh trie-layout):
 *
 *   HashTrieMap  inited u32 0, initMu 4, root 16, keyHash 24, valEqual 32,
 *                seed 40; 48 bytes.  sync.Map is { _ noCopy; m HashTrieMap }:
 *                the trie is at the sync.Map's own address.
 *   node         isEntry bool 0 (first field of both node kinds)
 *   indirect     node 0, dead u32 4, mu 8, parent 16, children [16]ptr 24;
 *                152 bytes
 *   entry        node 0, overflow *entry 8 (full-hash collisions), key 16,
 *                value after it
 *
 * Contract: synctrie__count() reads only (process_vm_readv through a
 * struct gomap_mem, batched level by level), never more than max_nodes
 * nodes (the header not counted).  A trie that fits is counted exactly.
 * A larger one is walked level by level, each level's indirect nodes,
 * then their children; a level whose nodes, or whose children, would take
 * more than half of what is left is cut to a prefix (in hash order) that
 * does not, and the entries found from there down are scaled up by how
 * much was cut (the hash spreads keys evenly over a level's nodes): the
 * count is then flagged estimated.  A node that fails
 * its checks or cannot be read (freed or changed under the walk: the
 * target runs on) is skipped and the count flagged estimated too.
 */
#ifndef SYNCTRIE_H
#define SYNCTRIE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "gomap.h"

/* The probed methods (GC shape of [any, any]; real symbols in 1.24-1.27). */
#define SYNCTRIE_FN_INIT \
	"internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.interface {}]).initSlow"
#define SYNCTRIE_FN_EXPAND \
	"internal/sync.(*HashTrieMap[go.shape.interface {},go.shape.interface {}]).expand"
/* What the report calls such a map (the field's Go type, as for Go <= 1.23). */
#define SYNCTRIE_TYPE_NAME "sync.Map (internal/sync.HashTrieMap[interface {},interface {}])"

#define SYNCTRIE_HT_INITED	0
#define SYNCTRIE_HT_ROOT	16
#define SYNCTRIE_HT_KEYHASH	24
#define SYNCTRIE_HT_SEED	40
#define SYNCTRIE_HT_SIZE	48
#define SYNCTRIE_NODE_ISENTRY	0
#define SYNCTRIE_IND_DEAD	4
#define SYNCTRIE_IND_PARENT	16
#define SYNCTRIE_IND_CHILDREN	24
#define SYNCTRIE_IND_SIZE	152
#define SYNCTRIE_ENTRY_OVERFLOW	8
#define SYNCTRIE_ENTRY_KEY	16
#define SYNCTRIE_ENTRY_SIZE	48	/* entry[any, any]: key and value 16 bytes each */
#define SYNCTRIE_ENTRY_HDR	16	/* what the walk reads of an entry */
#define SYNCTRIE_FANOUT		16
#define SYNCTRIE_MAX_DEPTH	16	/* 64 hash bits, 4 per level */
/* Bytes one expand allocates at least: an indirect node (size class 160). */
#define SYNCTRIE_IND_ALLOC	160

/* Default bound on nodes read per walk (indirect nodes and entries). */
#define SYNCTRIE_MAX_NODES	65536u

struct synctrie_count {
	uint64_t entries;	/* exact, or the estimate when estimated */
	uint64_t counted;	/* entries actually seen */
	uint64_t indirects;	/* indirect nodes read */
	uint64_t nodes;		/* node reads: an indirect node twice (as a child, then whole) */
	uint64_t skipped;	/* nodes that failed a check or a read */
	uint64_t seed;		/* HashTrieMap.seed */
	uint64_t root;
	bool inited;		/* false: not initialised yet (no entries, no root) */
	bool estimated;
};

/*
 * Count the entries of the trie whose HashTrieMap is at ht.  Returns
 * GOMAP_OK (out filled), GOMAP_UNREADABLE (the header could not be read;
 * -ESRCH goes to *gone_process when non-NULL), GOMAP_BAD_HEADER (not a
 * HashTrieMap: inited neither 0 nor 1, an inited trie without root or hash
 * function, a root that is not an indirect node without parent).
 */
enum gomap_status synctrie__count(const struct gomap_mem *mem, pid_t pid, uint64_t ht,
				  uint32_t max_nodes, struct synctrie_count *out,
				  bool *gone_process);

#endif /* SYNCTRIE_H */
