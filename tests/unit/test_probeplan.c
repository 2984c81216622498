// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probeplan: the decoder on hand-made machine code (each prologue style,
 * frameless leaves, 0xC3 bytes inside instructions, undecodable bytes, tail
 * jumps), then the whole plan on the fixture binaries of the Go matrix,
 * where every offset handed out must land on the instruction it names.
 * A uprobe on a wrong offset corrupts the target, so these are the facts
 * most worth pinning.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "matrix.h"
#include "gm_tested.h"
#include "buildinfo.h"
#include "goelf.h"
#include "pclntab.h"
#include "probeplan.h"
#include "probes.h"
#include "synctrie.h"

#define FN_VADDR	0x401000ULL
#define FN_OFF		0x1000ULL

static void decode(const uint8_t *code, size_t len, struct probe_fn *fn)
{
	memset(fn, 0, sizeof(*fn));
	fn->name = "synthetic";
	fn->vaddr = FN_VADDR;
	fn->file_off = FN_OFF;
	assert_int_equal(probeplan__decode(code, len, fn), 0);
}

/* Go >= 1.21: CMPQ SP,16(R14); JBE; PUSHQ BP; MOVQ SP,BP; SUBQ; ...; RET. */
static void test_prologue_push_mov(void **state)
{
	static const uint8_t code[] = {
		0x49, 0x3b, 0x66, 0x10,		/* 0: cmp rsp, [r14+0x10] */
		0x76, 0x0f,			/* 4: jbe 0x15 */
		0x55,				/* 6: push rbp */
		0x48, 0x89, 0xe5,		/* 7: mov rbp, rsp */
		0x48, 0x83, 0xec, 0x18,		/* 10: sub rsp, 0x18 */
		0x48, 0x89, 0xc1,		/* 14: mov rcx, rax */
		0x48, 0x83, 0xc4, 0x18,		/* 17: add rsp, 0x18 */
		0x5d,				/* 21: pop rbp */
		0xc3,				/* 22: ret */
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* 23: call (morestack) */
		0xeb, 0xe2,			/* 28: jmp entry */
		0xcc, 0xcc,			/* 30: padding */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.post_prologue_off, FN_OFF + 10);
	assert_true(fn.args_intact);
	assert_int_equal(fn.ret_cnt, 1);
	assert_int_equal(fn.ret_offs[0], FN_OFF + 22);
	assert_int_equal(fn.size, 30);
	assert_int_equal(fn.span, sizeof(code));
	assert_int_equal(fn.tail_jmps, 0);	/* the jump back to entry stays inside */
	assert_false(fn.decode_failed);
}

/* Go <= 1.20: SUBQ $n,SP; MOVQ BP,n-8(SP); LEAQ n-8(SP),BP. */
static void test_prologue_sub_mov_lea(void **state)
{
	static const uint8_t code[] = {
		0x49, 0x3b, 0x66, 0x10,		/* 0: cmp rsp, [r14+0x10] */
		0x76, 0x14,			/* 4: jbe */
		0x48, 0x83, 0xec, 0x18,		/* 6: sub rsp, 0x18 */
		0x48, 0x89, 0x6c, 0x24, 0x10,	/* 10: mov [rsp+0x10], rbp (reads rbp) */
		0x48, 0x8d, 0x6c, 0x24, 0x10,	/* 15: lea rbp, [rsp+0x10] */
		0x48, 0x8b, 0x6c, 0x24, 0x10,	/* 20: mov rbp, [rsp+0x10] */
		0x48, 0x83, 0xc4, 0x18,		/* 25: add rsp, 0x18 */
		0xc3,				/* 29: ret */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.post_prologue_off, FN_OFF + 20);
	assert_true(fn.args_intact);
	assert_int_equal(fn.ret_cnt, 1);
	assert_int_equal(fn.ret_offs[0], FN_OFF + 29);
	assert_int_equal(fn.size, sizeof(code));
}

/*
 * Argument homes: where RAX/RBX are stored before the first CALL, relative
 * to the frame pointer, for both frame setups.  Classic hashGrow's h is
 * read this way by the large-growth probe.
 */
static void test_arg_homes_push_mov(void **state)
{
	static const uint8_t code[] = {
		0x55,				/* push rbp */
		0x48, 0x89, 0xe5,		/* mov rbp, rsp */
		0x48, 0x83, 0xec, 0x30,		/* sub rsp, 0x30 */
		0x48, 0x8b, 0x13,		/* mov rdx, [rbx] (reads rbx) */
		0x48, 0x89, 0x5c, 0x24, 0x48,	/* mov [rsp+0x48], rbx: BP+0x18 */
		0x48, 0x89, 0x44, 0x24, 0x20,	/* mov [rsp+0x20], rax: BP-0x10 */
		0x48, 0x89, 0x5c, 0x24, 0x08,	/* a second store of rbx: the first counts */
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* call */
		0x48, 0x83, 0xc4, 0x30,		/* add rsp, 0x30 */
		0x5d,				/* pop rbp */
		0xc3,				/* ret */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.arg_slot[1], 0x18);
	assert_int_equal(fn.arg_slot[0], -0x10);
}

static void test_arg_homes_sub_mov_lea(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x83, 0xec, 0x38,		/* sub rsp, 0x38 */
		0x48, 0x89, 0x6c, 0x24, 0x30,	/* mov [rsp+0x30], rbp */
		0x48, 0x8d, 0x6c, 0x24, 0x30,	/* lea rbp, [rsp+0x30] */
		0x48, 0x89, 0x5c, 0x24, 0x48,	/* mov [rsp+0x48], rbx: BP+0x18 */
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* call */
		0x48, 0x83, 0xc4, 0x38,		/* add rsp, 0x38 */
		0xc3,				/* ret */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.arg_slot[1], 0x18);
	assert_int_equal(fn.arg_slot[0], GM_SLOT_ABSENT);
}

/* A register written before its store, or a store after a CALL: no home. */
static void test_arg_homes_refused(void **state)
{
	static const uint8_t code[] = {
		0x55,				/* push rbp */
		0x48, 0x89, 0xe5,		/* mov rbp, rsp */
		0x48, 0x83, 0xec, 0x30,		/* sub rsp, 0x30 */
		0xbb, 0x01, 0x00, 0x00, 0x00,	/* mov ebx, 1: no longer the argument */
		0x48, 0x89, 0x5c, 0x24, 0x48,	/* mov [rsp+0x48], rbx */
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* call */
		0x48, 0x89, 0x44, 0x24, 0x20,	/* mov [rsp+0x20], rax: after the call */
		0x48, 0x83, 0xc4, 0x30,		/* add rsp, 0x30 */
		0x5d,				/* pop rbp */
		0xc3,				/* ret */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.arg_slot[0], GM_SLOT_ABSENT);
	assert_int_equal(fn.arg_slot[1], GM_SLOT_ABSENT);
}

/* A leaf with no frame has no post-prologue point. */
static void test_frameless_leaf(void **state)
{
	static const uint8_t code[] = {
		0x48, 0x8b, 0x00,		/* mov rax, [rax] */
		0xc3,				/* ret */
		0xcc, 0xcc, 0xcc, 0xcc,
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.post_prologue_off, 0);
	assert_int_equal(fn.ret_cnt, 1);
	assert_int_equal(fn.ret_offs[0], FN_OFF + 3);
	assert_int_equal(fn.size, 4);
}

/* A BP write after control has left the prologue is not a frame setup. */
static void test_bp_write_after_call(void **state)
{
	static const uint8_t code[] = {
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* call */
		0x48, 0x89, 0xe5,		/* mov rbp, rsp */
		0xc3,
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.post_prologue_off, 0);
	assert_int_equal(fn.ret_cnt, 1);
}

/* The prologue of this function overwrites RAX before the frame is up. */
static void test_prologue_clobbers_arg(void **state)
{
	static const uint8_t code[] = {
		0x31, 0xc0,			/* xor eax, eax */
		0x55,				/* push rbp */
		0x48, 0x89, 0xe5,		/* mov rbp, rsp */
		0x5d, 0xc3,
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.post_prologue_off, FN_OFF + 6);
	assert_false(fn.args_intact);
}

/* 0xC3 bytes inside immediates and displacements are not RETs. */
static void test_c3_inside_instructions(void **state)
{
	static const uint8_t code[] = {
		0xb8, 0xc3, 0x00, 0x00, 0x00,		/* 0: mov eax, 0xc3 */
		0x48, 0x8d, 0x05, 0xc3, 0xc3, 0x00, 0x00,	/* 5: lea rax, [rip+0xc3c3] */
		0x80, 0xfb, 0xc3,			/* 12: cmp bl, 0xc3 */
		0xc3,					/* 15: ret */
	};
	struct probe_fn fn;
	size_t i, c3 = 0;

	(void)state;
	for (i = 0; i < sizeof(code); i++)
		c3 += code[i] == 0xc3;
	assert_int_equal(c3, 5);
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.ret_cnt, 1);
	assert_int_equal(fn.ret_offs[0], FN_OFF + 15);
}

/* Past an undecodable byte nothing is trusted, and the plan says so. */
static void test_undecodable(void **state)
{
	static const uint8_t code[] = {
		0xc3,		/* ret */
		0x06,		/* push es: invalid in 64-bit mode */
		0xc3,
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_true(fn.decode_failed);
	assert_int_equal(fn.ret_cnt, 1);
	assert_int_equal(fn.ret_offs[0], FN_OFF);
	assert_int_equal(fn.size, sizeof(code));
}

/* A uprobe's INT3 over a RET, seen through a private mapping of the file. */
static void test_int3_in_body(void **state)
{
	static const uint8_t code[] = {
		0x55, 0x48, 0x89, 0xe5,		/* 0: push rbp; mov rbp, rsp */
		0x5d,				/* 4: pop rbp */
		0xcc,				/* 5: was ret */
		0xe8, 0x00, 0x00, 0x00, 0x00,	/* 6: call */
		0xeb, 0xf3,			/* 11: jmp entry */
		0xcc, 0xcc, 0xcc,		/* padding */
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.int3_off, FN_OFF + 5);
	assert_int_equal(fn.ret_cnt, 0);
	assert_int_equal(fn.size, 13);
	/* padding alone is not a breakpoint */
	decode(code, 5, &fn);
	assert_int_equal(fn.int3_off, 0);
}

static void test_tail_jump(void **state)
{
	static const uint8_t code[] = {
		0xe9, 0x00, 0x10, 0x00, 0x00,	/* jmp far away */
		0xcc, 0xcc, 0xcc,
	};
	struct probe_fn fn;

	(void)state;
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.tail_jmps, 1);
	assert_int_equal(fn.ret_cnt, 0);
	assert_int_equal(fn.size, 5);
}

static void test_rets_truncated(void **state)
{
	uint8_t code[PROBEPLAN_MAX_RETS + 3];
	struct probe_fn fn;

	(void)state;
	memset(code, 0xc3, sizeof(code));
	decode(code, sizeof(code), &fn);
	assert_int_equal(fn.ret_cnt, PROBEPLAN_MAX_RETS);
	assert_true(fn.rets_truncated);
	assert_int_equal(fn.ret_offs[PROBEPLAN_MAX_RETS - 1], FN_OFF + PROBEPLAN_MAX_RETS - 1);
}

static void test_too_large(void **state)
{
	static const uint8_t byte = 0xc3;
	struct probe_fn fn = { .vaddr = FN_VADDR, .file_off = FN_OFF };

	(void)state;
	/* Rejected on length before a single byte is read. */
	assert_int_equal(probeplan__decode(&byte, 1ULL << 30, &fn), -E2BIG);
	fn.vaddr = UINT64_MAX - 4;
	assert_int_equal(probeplan__decode(&byte, 16, &fn), -E2BIG);
}

/* ---- fixture binaries ---- */

struct bin {
	char path[512];
	struct goelf *elf;
	struct go_buildinfo bi;
	struct pclntab *tab;
	struct probeplan *plan;
};

static const char *build_dir(void)
{
	const char *b = getenv("GM_BUILD");

	return b && *b ? b : "build";
}

/* Open a fixture and everything up to (not including) the plan. */
static void bin_open(struct bin *b, const char *tc, const char *variant, const char *name)
{
	struct gm_err err = { { 0 } };

	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s/fixtures/%s/%s/%s", build_dir(), tc, variant, name);
	b->elf = goelf__open(b->path, &err);
	if (!b->elf)
		fail_msg("%s: %s (run `make fixtures`)", b->path, err.msg);
	if (go_buildinfo__parse(b->elf, &b->bi, &err))
		fail_msg("%s: %s", b->path, err.msg);
	b->tab = pclntab__new(b->elf, &err);
	if (!b->tab)
		fail_msg("%s: %s", b->path, err.msg);
}

static void bin_plan(struct bin *b)
{
	struct gm_err err = { { 0 } };

	b->plan = probeplan__new(b->elf, b->tab, &b->bi, &err);
	if (!b->plan)
		fail_msg("%s: %s", b->path, err.msg);
}

static void bin_close(struct bin *b)
{
	probeplan__free(b->plan);
	pclntab__free(b->tab);
	go_buildinfo__free(&b->bi);
	goelf__free(b->elf);
}

static const uint8_t *file_at(const struct bin *b, uint64_t off, uint64_t len)
{
	const uint8_t *p = goelf__file_ptr(b->elf, off, len);

	assert_non_null(p);
	return p;
}

/*
 * BRIEF: runtime.mapassign_faststr in Go 1.19 has a 0xC3 byte inside
 * another instruction.  A byte scan would put a uprobe mid-instruction.
 */
static void faststr_c3(const char *variant)
{
	const struct probe_fn *fn;
	const uint8_t *code;
	struct bin b;
	size_t i, c3 = 0;

	bin_open(&b, "go1.19", variant, "maps");
	bin_plan(&b);
	fn = probeplan__fn(b.plan, "runtime.mapassign_faststr");
	assert_non_null(fn);
	assert_int_equal(fn->state, PROBE_FN_PRESENT);
	assert_false(fn->decode_failed);
	code = file_at(&b, fn->file_off, fn->size);
	for (i = 0; i < fn->size; i++)
		c3 += code[i] == 0xc3;
	assert_int_equal(fn->ret_cnt, 1);
	assert_true(c3 > (size_t)fn->ret_cnt);
	assert_int_equal(code[fn->ret_offs[0] - fn->file_off], 0xc3);
	bin_close(&b);
}

static void test_go119_faststr_c3_plain(void **state)
{
	(void)state;
	faststr_c3("plain");
}

static void test_go119_faststr_c3_pie_stripped(void **state)
{
	(void)state;
	faststr_c3("pie-stripped");
}

static const char *const variants[] = { "plain", "pie-stripped", "cgo" };


/*
 * Every toolchain and variant: the implementation, the layout, and that
 * each offset lands on what it claims: a RET byte, or the end of an
 * instruction writing RBP (LEAQ x(SP),BP in <= 1.20, MOVQ SP,BP after).
 */
static void test_matrix_invariants(void **state)
{
	size_t t, v, i;

	(void)state;
	for (t = 0; t < sizeof(gm_toolchains) / sizeof(gm_toolchains[0]); t++) {
		for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			bool swiss = gm_matrix[t].swiss;
			const struct gm_layout *l;
			struct bin b;

			bin_open(&b, gm_toolchains[t], variants[v], "maps");
			bin_plan(&b);
			l = &b.plan->layout;
			assert_int_equal(b.plan->impl, swiss ? GM_MAP_SWISS : GM_MAP_CLASSIC);
			assert_int_equal(l->impl, b.plan->impl);
			assert_true(probeplan__layout_checked(b.plan->impl, &b.bi, GM_NEWEST_TESTED_MINOR));
			assert_int_equal(l->map_count_off, 0);
			assert_int_equal(l->g_stack_lo_off, 0);
			assert_int_equal(l->g_stack_hi_off, 8);
			assert_int_equal(l->type_bucket_off, 64);
			if (swiss) {
				assert_int_equal(l->map_seed_off, 8);
				assert_int_equal(l->map_dirlen_off, 24);
				assert_int_equal(l->type_bucketsize_off, 80);
				assert_int_equal(l->type_bucketsize_size, 8);
				assert_int_equal(l->map_B_off, GM_OFF_ABSENT);
				assert_int_equal(l->grow_map_slot, GM_SLOT_ABSENT);
			} else {
				/* hashGrow spills h to its argument home: BP+24 */
				assert_int_equal(l->grow_map_slot, 24);
				assert_true(l->grow_lo < l->grow_hi);
				assert_true(l->large_probe_vaddr != 0);
				assert_int_equal(l->map_seed_off, 12);
				assert_int_equal(l->map_B_off, 9);
				assert_int_equal(l->map_extra_off,
						 strcmp(gm_toolchains[t], "go1.24-noswiss") ? 40 : 48);
				assert_int_equal(l->type_bucketsize_off, 82);
				assert_int_equal(l->map_dirlen_off, GM_OFF_ABSENT);
			}
			for (i = 0; i < b.plan->fn_cnt; i++) {
				const struct probe_fn *fn = &b.plan->fns[i];
				const uint8_t *code;
				int r;

				if (fn->state != PROBE_FN_PRESENT)
					continue;
				code = file_at(&b, fn->file_off, fn->span);
				assert_false(fn->decode_failed);
				assert_true(fn->size <= fn->span && fn->span - fn->size < 64);
				assert_true(fn->ret_cnt >= 1);
				for (r = 0; r < fn->ret_cnt; r++) {
					assert_true(fn->ret_offs[r] >= fn->file_off);
					assert_true(fn->ret_offs[r] < fn->file_off + fn->size);
					assert_int_equal(code[fn->ret_offs[r] - fn->file_off], 0xc3);
				}
				if (!fn->post_prologue_off)
					continue;
				assert_true(fn->args_intact);
				/* Go 1.21 changed the frame setup */
				if (gm_matrix[t].minor <= 20) {
					/* lea rbp, [rsp+disp8] */
					static const uint8_t lea[] = { 0x48, 0x8d, 0x6c, 0x24 };
					uint64_t at = fn->post_prologue_off - fn->file_off;

					assert_true(at >= 5);
					assert_memory_equal(code + at - 5, lea, sizeof(lea));
				} else {
					static const uint8_t push_mov[] = { 0x55, 0x48, 0x89, 0xe5 };
					uint64_t at = fn->post_prologue_off - fn->file_off;

					assert_true(at >= 4);
					assert_memory_equal(code + at - 4, push_mov, sizeof(push_mov));
				}
			}
			bin_close(&b);
		}
	}
}

/*
 * The functions that tell the implementations apart (probes.c's PROVES
 * rows): each is planned for its implementation, and on every release of
 * the matrix the binary holds one of its own implementation's and none of
 * the other's.
 */
static void test_impl_markers(void **state)
{
	static const enum gm_map_impl impls[] = { GM_MAP_CLASSIC, GM_MAP_SWISS };
	const char *markers[16], *planned[64];
	size_t t, i, j, k, nm, np;

	(void)state;
	for (i = 0; i < 2; i++) {
		nm = probes__impl_markers(impls[i], markers, 16);
		np = probes__runtime_fns(impls[i], planned, 64);
		assert_true(nm >= 1 && nm <= 16 && np <= 64);
		for (j = 0; j < nm; j++) {
			bool found = false;

			for (k = 0; k < np; k++)
				found |= !strcmp(markers[j], planned[k]);
			assert_true(found);
		}
	}
	/* and no function proves both */
	nm = probes__impl_markers(GM_MAP_CLASSIC, markers, 16);
	np = probes__impl_markers(GM_MAP_SWISS, planned, 64);
	for (j = 0; j < nm; j++)
		for (k = 0; k < np; k++)
			assert_string_not_equal(markers[j], planned[k]);
	for (t = 0; t < sizeof(gm_toolchains) / sizeof(gm_toolchains[0]); t++) {
		struct pcln_func fn;
		struct bin b;

		bin_open(&b, gm_toolchains[t], "pie-stripped", "maps");
		for (i = 0; i < 2; i++) {
			bool own = (impls[i] == GM_MAP_SWISS) == gm_matrix[t].swiss;
			size_t present = 0;

			nm = probes__impl_markers(impls[i], markers, 16);
			for (j = 0; j < nm; j++)
				present += !pclntab__func_by_name(b.tab, markers[j], &fn);
			if (own ? present == 0 : present != 0)
				fail_msg("%s: %zu of %s's %zu marker functions present", gm_toolchains[t],
					 present, impls[i] == GM_MAP_SWISS ? "swiss" : "classic", nm);
		}
		bin_close(&b);
	}
}

/* A stripped PIE and a plain build agree on which functions are probeable. */
static void test_pie_stripped_same_states(void **state)
{
	size_t t, i;

	(void)state;
	for (t = 0; t < sizeof(gm_toolchains) / sizeof(gm_toolchains[0]); t++) {
		struct bin a, b;

		bin_open(&a, gm_toolchains[t], "plain", "maps");
		bin_open(&b, gm_toolchains[t], "pie-stripped", "maps");
		bin_plan(&a);
		bin_plan(&b);
		assert_int_equal(a.plan->fn_cnt, b.plan->fn_cnt);
		for (i = 0; i < a.plan->fn_cnt; i++) {
			assert_string_equal(a.plan->fns[i].name, b.plan->fns[i].name);
			assert_int_equal(a.plan->fns[i].state, b.plan->fns[i].state);
		}
		assert_true(goelf__is_pie(b.elf));
		assert_false(goelf__has_symtab(b.elf));
		bin_close(&a);
		bin_close(&b);
	}
}

/*
 * Swiss maps: NewMap and the growth functions are real; the small helpers
 * are inlined everywhere (a uprobe on them would never fire).
 */
static void test_swiss_states(void **state)
{
	static const char *const present[] = {
		"runtime.makemap", "runtime.makemap_small", "internal/runtime/maps.NewMap",
		"internal/runtime/maps.newTable", "internal/runtime/maps.(*Map).growToSmall",
		"internal/runtime/maps.(*Map).growToTable", "internal/runtime/maps.(*table).rehash",
		"internal/runtime/maps.(*table).grow", "internal/runtime/maps.(*table).split",
	};
	static const char *const inlined[] = {
		"internal/runtime/maps.newGroups", "internal/runtime/maps.(*Map).directorySet",
		"internal/runtime/maps.(*Map).replaceTable",
	};
	size_t t, i;

	(void)state;
	for (t = 0; t < GM_MATRIX_CNT; t++) {
		const char *tc = gm_matrix[t].name;
		struct bin b;

		if (!gm_matrix[t].swiss)
			continue;
		bin_open(&b, tc, "plain", "maps");
		bin_plan(&b);
		for (i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
			const struct probe_fn *fn = probeplan__fn(b.plan, present[i]);

			assert_non_null(fn);
			if (fn->state != PROBE_FN_PRESENT)
				fail_msg("%s %s: %s, want present", tc, present[i],
					 probeplan__state_name(fn->state));
		}
		for (i = 0; i < sizeof(inlined) / sizeof(inlined[0]); i++) {
			const struct probe_fn *fn = probeplan__fn(b.plan, inlined[i]);

			assert_non_null(fn);
			if (fn->state != PROBE_FN_INLINED)
				fail_msg("%s %s: %s, want inlined", tc, inlined[i],
					 probeplan__state_name(fn->state));
		}
		/* classic-only functions are not part of a swiss plan */
		assert_null(probeplan__fn(b.plan, "runtime.hashGrow"));
		assert_null(probeplan__fn(b.plan, "no.such.function"));
		bin_close(&b);
	}
}

static void test_classic_states(void **state)
{
	static const char *const present[] = {
		"runtime.makemap", "runtime.makemap_small", "runtime.hashGrow",
		"runtime.growWork", "runtime.makeBucketArray", "runtime.(*hmap).newoverflow",
		"runtime.mapassign_faststr", "runtime.mallocgc",
	};
	size_t t, i;

	(void)state;
	for (t = 0; t < GM_MATRIX_CNT; t++) {
		const char *tc = gm_matrix[t].name;
		struct bin b;

		if (gm_matrix[t].swiss)
			continue;
		bin_open(&b, tc, "plain", "maps");
		bin_plan(&b);
		for (i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
			const struct probe_fn *fn = probeplan__fn(b.plan, present[i]);

			assert_non_null(fn);
			if (fn->state != PROBE_FN_PRESENT)
				fail_msg("%s %s: %s, want present", tc, present[i],
					 probeplan__state_name(fn->state));
		}
		assert_null(probeplan__fn(b.plan, "internal/runtime/maps.NewMap"));
		bin_close(&b);
	}
}

/*
 * The file as a process sees it while another tracer has a uprobe on a RET
 * of makemap_small: the plan must refuse rather than hand out offsets
 * decoded from a patched byte.
 */
static void test_foreign_uprobe_refused(void **state)
{
	struct gm_err err = { { 0 } };
	const struct probe_fn *fn;
	struct probeplan *plan;
	uint64_t ret_off;
	uint8_t *buf;
	size_t len;
	struct bin b;
	FILE *f;

	(void)state;
	bin_open(&b, "go1.26", "plain", "maps");
	bin_plan(&b);
	fn = probeplan__fn(b.plan, "runtime.makemap_small");
	assert_non_null(fn);
	assert_int_equal(fn->ret_cnt, 1);
	ret_off = fn->ret_offs[0];
	bin_close(&b);

	f = fopen(b.path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = (size_t)ftell(f);
	rewind(f);
	buf = malloc(len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
	assert_true(ret_off < len);
	assert_int_equal(buf[ret_off], 0xc3);
	buf[ret_off] = 0xcc;

	b.elf = goelf__open_mem(buf, len, &err);
	assert_non_null(b.elf);
	assert_int_equal(go_buildinfo__parse(b.elf, &b.bi, &err), 0);
	b.tab = pclntab__new(b.elf, &err);
	assert_non_null(b.tab);
	plan = probeplan__new(b.elf, b.tab, &b.bi, &err);
	assert_null(plan);
	assert_non_null(strstr(err.msg, "runtime.makemap_small"));
	assert_non_null(strstr(err.msg, "INT3"));
	b.plan = NULL;
	bin_close(&b);
	free(buf);
}

/* The experiment list and the functions present must tell the same story. */
static void test_experiment_disagreement(void **state)
{
	struct gm_err err = { { 0 } };
	struct probeplan *plan;
	struct bin b;

	(void)state;
	bin_open(&b, "go1.26", "plain", "maps");
	snprintf(b.bi.experiments, sizeof(b.bi.experiments), "noswissmap");
	plan = probeplan__new(b.elf, b.tab, &b.bi, &err);
	assert_null(plan);
	assert_non_null(strstr(err.msg, "noswissmap"));
	bin_close(&b);

	memset(&err, 0, sizeof(err));
	bin_open(&b, "go1.22", "plain", "maps");
	snprintf(b.bi.experiments, sizeof(b.bi.experiments), "swissmap");
	plan = probeplan__new(b.elf, b.tab, &b.bi, &err);
	assert_null(plan);
	assert_non_null(strstr(err.msg, "swissmap"));
	bin_close(&b);

	/* noswissmap on a classic binary is the ordinary 1.24 case */
	bin_open(&b, "go1.24-noswiss", "plain", "maps");
	assert_true(go_buildinfo__has_experiment(&b.bi, "noswissmap"));
	bin_plan(&b);
	assert_int_equal(b.plan->impl, GM_MAP_CLASSIC);
	bin_close(&b);
}

/*
 * Which releases' layouts count as checked: the one bound that is not the
 * matrix's (the last classic release) and the one that is (the newest
 * tested, passed in), on hand-made build infos.
 */
/*
 * sync.Map of Go >= 1.24 (internal/sync.HashTrieMap[any, any]): initSlow
 * and expand are real functions of the [go.shape.interface {}, ...]
 * instantiation on every release 1.24-1.27, every variant and both map
 * implementations, and are probed after their prologue with the trie in
 * RAX; older releases have neither.
 */
static void test_synctrie_points(void **state)
{
	static const char *const variants[] = { "plain", "pie-stripped", "cgo" };
	static const char *const fns[] = { SYNCTRIE_FN_INIT, SYNCTRIE_FN_EXPAND };
	struct probe_point pts[GM_MAX_PROBES];
	struct gm_err err = { { 0 } };
	size_t t, v, i;

	(void)state;
	for (t = 0; t < GM_MATRIX_CNT; t++) {
		bool trie = gm_matrix[t].minor >= 24;

		for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			struct bin b;
			int n, k, kinds[2] = { 0, 0 };

			bin_open(&b, gm_matrix[t].name, variants[v], "stackmaps");
			bin_plan(&b);
			for (i = 0; i < 2; i++) {
				const struct probe_fn *fn = probeplan__fn(b.plan, fns[i]);

				assert_non_null(fn);
				if (!trie) {
					assert_int_equal(fn->state, PROBE_FN_ABSENT);
					continue;
				}
				if (fn->state != PROBE_FN_PRESENT)
					fail_msg("%s/%s: %s is %s", gm_matrix[t].name, variants[v], fns[i],
						 probeplan__state_name(fn->state));
				assert_true(fn->post_prologue_off > fn->file_off);
				assert_true(fn->args_intact);
			}
			n = probes__select(b.plan, PROBES_DEFAULT, pts, GM_MAX_PROBES, &err);
			assert_true(n > 0);
			for (k = 0; k < n; k++) {
				if (pts[k].spec.kind != GM_PROBE_TRIE_INIT &&
				    pts[k].spec.kind != GM_PROBE_TRIE_EXPAND)
					continue;
				kinds[pts[k].spec.kind - GM_PROBE_TRIE_INIT]++;
				assert_int_equal(pts[k].spec.map_reg, GM_REG_RAX);
				assert_int_equal(pts[k].spec.placement, GM_AT_POST_PROLOGUE);
				assert_int_equal(pts[k].file_off,
						 probeplan__fn(b.plan, pts[k].function)->post_prologue_off);
			}
			assert_int_equal(kinds[0], trie ? 1 : 0);
			assert_int_equal(kinds[1], trie ? 1 : 0);
			bin_close(&b);
		}
	}
}

static void test_layout_checked_range(void **state)
{
	struct go_buildinfo bi;
	int n = GM_NEWEST_TESTED_MINOR;

	(void)state;
	memset(&bi, 0, sizeof(bi));
	bi.major = 1;
	bi.minor = n;
	assert_true(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	bi.minor = n + 1;
	assert_false(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	assert_true(probeplan__layout_checked(GM_MAP_SWISS, &bi, n + 1));
	bi.minor = 24;
	assert_true(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	assert_true(probeplan__layout_checked(GM_MAP_CLASSIC, &bi, n));
	bi.minor = 23;
	assert_false(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	bi.minor = PROBEPLAN_CLASSIC_LAST;
	assert_true(probeplan__layout_checked(GM_MAP_CLASSIC, &bi, n));
	bi.minor = PROBEPLAN_CLASSIC_LAST + 1;
	assert_false(probeplan__layout_checked(GM_MAP_CLASSIC, &bi, n));
	bi.minor = 16;
	assert_false(probeplan__layout_checked(GM_MAP_CLASSIC, &bi, n));
	bi.minor = 17;
	assert_true(probeplan__layout_checked(GM_MAP_CLASSIC, &bi, n));
	/* a Go 2 or an unparsed version is never "checked" */
	bi.major = 2;
	bi.minor = 0;
	assert_false(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	bi.major = 0;
	assert_false(probeplan__layout_checked(GM_MAP_SWISS, &bi, n));
	assert_false(probeplan__layout_checked(GM_MAP_SWISS, NULL, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_synctrie_points),
		cmocka_unit_test(test_prologue_push_mov),
		cmocka_unit_test(test_prologue_sub_mov_lea),
		cmocka_unit_test(test_arg_homes_push_mov),
		cmocka_unit_test(test_arg_homes_sub_mov_lea),
		cmocka_unit_test(test_arg_homes_refused),
		cmocka_unit_test(test_frameless_leaf),
		cmocka_unit_test(test_bp_write_after_call),
		cmocka_unit_test(test_prologue_clobbers_arg),
		cmocka_unit_test(test_c3_inside_instructions),
		cmocka_unit_test(test_undecodable),
		cmocka_unit_test(test_int3_in_body),
		cmocka_unit_test(test_tail_jump),
		cmocka_unit_test(test_rets_truncated),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_go119_faststr_c3_plain),
		cmocka_unit_test(test_go119_faststr_c3_pie_stripped),
		cmocka_unit_test(test_matrix_invariants),
		cmocka_unit_test(test_impl_markers),
		cmocka_unit_test(test_pie_stripped_same_states),
		cmocka_unit_test(test_swiss_states),
		cmocka_unit_test(test_classic_states),
		cmocka_unit_test(test_foreign_uprobe_refused),
		cmocka_unit_test(test_experiment_disagreement),
		cmocka_unit_test(test_layout_checked_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
