// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probe plan: which runtime map functions a binary has, where a uprobe may
 * go inside each, and the struct layout the BPF side reads.
 *
 * A uprobe placed anywhere but on an instruction boundary corrupts the
 * target's code, so every offset handed out here comes from a linear
 * Capstone decode that covered the whole function without losing sync; a
 * function whose decode fails keeps no RET offsets it cannot vouch for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <elf.h>
#include <capstone/capstone.h>
#include "probeplan.h"
#include "gomap.h"
#include "probes.h"
#include "synctrie.h"

/*
 * Far above any runtime map function (mallocgc, the largest, is ~2.3 KiB);
 * a larger span means a corrupt function table, not code worth decoding.
 */
#define PP_MAX_FN_SPAN		(256u << 10)
/*
 * The frame is set up within the first few instructions: stack check
 * (2, or 3 for large frames), then 2-3 for the frame.  Looking further
 * would take a BP write in the body of a frameless function for one.
 */
#define PP_PROLOGUE_WINDOW	8

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The first of impl's marker functions (probes.c's table) that is a real
 * function here; *first gets the first marker of all, for messages.
 */
static const char *first_marker(const struct pclntab *tab, enum gm_map_impl impl,
				const char **first)
{
	const char *names[16];
	struct pcln_func fn;
	size_t i, n = probes__impl_markers(impl, names, ARRAY_SIZE(names));

	if (n > ARRAY_SIZE(names))
		n = ARRAY_SIZE(names);
	*first = n ? names[0] : "?";
	for (i = 0; i < n; i++)
		if (!pclntab__func_by_name(tab, names[i], &fn))
			return names[i];
	return NULL;
}

static int pick_impl(const struct pclntab *tab, const struct go_buildinfo *bi,
		     enum gm_map_impl *impl, struct gm_err *err)
{
	const char *swiss, *classic, *swiss0, *classic0;

	swiss = first_marker(tab, GM_MAP_SWISS, &swiss0);
	classic = first_marker(tab, GM_MAP_CLASSIC, &classic0);
	if (swiss && classic)
		return gm_err_set(err, EINVAL,
				  "both map implementations present (%s and %s)",
				  classic, swiss);
	if (!swiss && !classic)
		return gm_err_set(err, ENOENT,
				  "no map growth function in pclntab (neither %s nor %s)",
				  classic0, swiss0);
	/*
	 * The experiment list is written by the same toolchain that chose the
	 * runtime; a mismatch means the pclntab or buildinfo is not what it
	 * claims, and guessing a layout would read the wrong fields.
	 */
	if (swiss && go_buildinfo__has_experiment(bi, "noswissmap"))
		return gm_err_set(err, EINVAL,
				  "built with GOEXPERIMENT=noswissmap but has swiss map function %s",
				  swiss);
	if (classic && go_buildinfo__has_experiment(bi, "swissmap"))
		return gm_err_set(err, EINVAL,
				  "built with GOEXPERIMENT=swissmap but has classic map function %s",
				  classic);
	*impl = swiss ? GM_MAP_SWISS : GM_MAP_CLASSIC;
	return 0;
}

bool probeplan__layout_checked(enum gm_map_impl impl, const struct go_buildinfo *bi,
			       int newest_minor)
{
	if (!bi || bi->major != 1)
		return false;
	if (impl == GM_MAP_CLASSIC)
		return go_buildinfo__at_least(bi, 1, 17) &&
		       !go_buildinfo__at_least(bi, 1, PROBEPLAN_CLASSIC_LAST + 1) &&
		       !go_buildinfo__at_least(bi, 1, newest_minor + 1);
	return impl == GM_MAP_SWISS && go_buildinfo__at_least(bi, 1, 24) &&
	       !go_buildinfo__at_least(bi, 1, newest_minor + 1);
}

/*
 * The bytes of [vaddr, vaddr+len) if they lie in one executable, file-backed
 * PT_LOAD; a function table pointing into data must not be decoded as code.
 */
static const uint8_t *text_bytes(const struct goelf *elf, uint64_t vaddr, uint64_t len,
				 uint64_t *file_off)
{
	size_t i, cnt = goelf__segment_cnt(elf);

	for (i = 0; i < cnt; i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (!sg || sg->type != PT_LOAD || !(sg->flags & PF_X))
			continue;
		if (vaddr < sg->vaddr || vaddr - sg->vaddr > sg->filesz ||
		    len > sg->filesz - (vaddr - sg->vaddr))
			continue;
		if (sg->offset > UINT64_MAX - (vaddr - sg->vaddr))
			return NULL;
		*file_off = sg->offset + (vaddr - sg->vaddr);
		return goelf__file_ptr(elf, *file_off, len);
	}
	return NULL;
}

static bool is_reg(x86_reg r, x86_reg r64, x86_reg r32, x86_reg r16, x86_reg r8)
{
	return r == r64 || r == r32 || r == r16 || r == r8;
}

static bool is_rbp(x86_reg r)
{
	return is_reg(r, X86_REG_RBP, X86_REG_EBP, X86_REG_BP, X86_REG_BPL);
}

/* One of the ABIInternal integer argument registers, any width. */
static bool is_arg_reg(x86_reg r)
{
	return is_reg(r, X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL) || r == X86_REG_AH ||
	       is_reg(r, X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL) || r == X86_REG_BH ||
	       is_reg(r, X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL) || r == X86_REG_CH ||
	       is_reg(r, X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL) ||
	       is_reg(r, X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL) ||
	       is_reg(r, X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B) ||
	       is_reg(r, X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B) ||
	       is_reg(r, X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B) ||
	       is_reg(r, X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B);
}

/* Does insn write a register matching pred, explicitly or implicitly? */
static bool writes_reg(const cs_insn *insn, bool (*pred)(x86_reg))
{
	const cs_detail *d = insn->detail;
	const cs_x86 *x = &d->x86;
	int i;

	for (i = 0; i < x->op_count && i < 8; i++)
		if (x->operands[i].type == X86_OP_REG && (x->operands[i].access & CS_AC_WRITE) &&
		    pred(x->operands[i].reg))
			return true;
	for (i = 0; i < d->regs_write_count && i < 20; i++)
		if (pred(d->regs_write[i]))
			return true;
	return false;
}

static bool is_rax(x86_reg r)
{
	return is_reg(r, X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL) || r == X86_REG_AH;
}

static bool is_rbx(x86_reg r)
{
	return is_reg(r, X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL) || r == X86_REG_BH;
}

/*
 * Argument homes, for the straight run from the entry to the first CALL.
 * RSP is followed relative to its value at entry (PUSH, SUB/ADD imm) so
 * both frame setups Go has used give the frame pointer's place: PUSH RBP;
 * MOV RBP, RSP (1.21+) and SUB RSP; MOV [RSP+n], RBP; LEA RBP, [RSP+n]
 * (earlier).  A store of RAX/RBX to [RSP+d] or [RBP+d] while neither was
 * written yet is that argument's home.
 */
struct arg_homes {
	int64_t rsp, rbp;	/* relative to RSP at entry */
	bool rbp_set, lost, written[2], done;
};

static bool imm_op(const cs_x86_op *op)
{
	return op->type == X86_OP_IMM && op->imm > -0x100000 && op->imm < 0x100000;
}

static void track_arg_homes(const cs_insn *insn, struct arg_homes *h, struct probe_fn *fn)
{
	const cs_x86 *x = &insn->detail->x86;
	const cs_x86_op *o0 = &x->operands[0], *o1 = &x->operands[1];
	int r;

	if (h->done)
		return;
	switch (insn->id) {
	case X86_INS_CALL: case X86_INS_RET: case X86_INS_UD2: case X86_INS_INT3:
		h->done = true;
		return;
	case X86_INS_PUSH:
		h->rsp -= 8;
		break;
	case X86_INS_SUB:
	case X86_INS_ADD:
		if (x->op_count == 2 && o0->type == X86_OP_REG && o0->reg == X86_REG_RSP) {
			if (imm_op(o1))
				h->rsp += insn->id == X86_INS_SUB ? -o1->imm : o1->imm;
			else
				h->lost = true;
		}
		break;
	case X86_INS_MOV:
	case X86_INS_LEA:
		if (x->op_count != 2)
			break;
		if (o0->type == X86_OP_REG && o0->reg == X86_REG_RBP && !h->rbp_set) {
			if (insn->id == X86_INS_MOV && o1->type == X86_OP_REG && o1->reg == X86_REG_RSP) {
				h->rbp = h->rsp;
				h->rbp_set = true;
			} else if (insn->id == X86_INS_LEA && o1->type == X86_OP_MEM &&
				   o1->mem.base == X86_REG_RSP && o1->mem.index == X86_REG_INVALID) {
				h->rbp = h->rsp + o1->mem.disp;
				h->rbp_set = true;
			}
		}
		if (insn->id == X86_INS_MOV && o0->type == X86_OP_MEM && o0->size == 8 &&
		    o1->type == X86_OP_REG && o0->mem.index == X86_REG_INVALID &&
		    o0->mem.segment == X86_REG_INVALID && h->rbp_set && !h->lost) {
			int64_t slot = INT64_MAX;

			r = o1->reg == X86_REG_RAX ? 0 : o1->reg == X86_REG_RBX ? 1 : -1;
			if (o0->mem.base == X86_REG_RBP)
				slot = o0->mem.disp;
			else if (o0->mem.base == X86_REG_RSP)
				slot = h->rsp + o0->mem.disp - h->rbp;
			if (r >= 0 && !h->written[r] && fn->arg_slot[r] == GM_SLOT_ABSENT &&
			    slot > INT16_MIN && slot < INT16_MAX && !(slot & 7))
				fn->arg_slot[r] = (int16_t)slot;
		}
		break;
	default:
		break;
	}
	if (writes_reg(insn, is_rax))
		h->written[0] = true;
	if (writes_reg(insn, is_rbx))
		h->written[1] = true;
}

/* Control leaves straight-line prologue code: no frame setup can follow. */
static bool ends_prologue(const cs_insn *insn)
{
	switch (insn->id) {
	case X86_INS_RET:
	case X86_INS_CALL:
	case X86_INS_JMP:
	case X86_INS_INT3:
	case X86_INS_UD2:
		return true;
	default:
		return false;
	}
}

/* A direct JMP whose target is outside [entry, end): a tail call. */
static bool is_tail_jmp(const cs_insn *insn, uint64_t entry, uint64_t end)
{
	const cs_x86 *x = &insn->detail->x86;
	uint64_t target;

	if (insn->id != X86_INS_JMP || x->op_count != 1 || x->operands[0].type != X86_OP_IMM)
		return false;
	target = (uint64_t)x->operands[0].imm;
	return target < entry || target >= end;
}

/*
 * Decode code[0, len) linearly.  Go text has no data between instructions
 * on amd64 (jump tables live in rodata) and pads functions with INT3, so a
 * linear sweep stays in sync; a byte Capstone cannot decode means it did
 * not, and everything after it is untrusted.
 */
static int decode_code(csh cs, const uint8_t *code, uint64_t len, struct probe_fn *fn)
{
	uint64_t entry = fn->vaddr, end = entry + len, addr = entry, code_end = entry;
	uint64_t first_int3 = 0;
	bool in_prologue = true, clobbered = false;
	struct arg_homes homes = {};
	const uint8_t *p = code;
	size_t left = len;
	cs_insn *insn;
	int seen = 0;

	if (len > PP_MAX_FN_SPAN || entry > UINT64_MAX - len)
		return -E2BIG;
	insn = cs_malloc(cs);
	if (!insn)
		return -ENOMEM;
	fn->span = len;
	fn->arg_slot[0] = fn->arg_slot[1] = GM_SLOT_ABSENT;
	while (left) {
		uint64_t at = addr;

		if (!cs_disasm_iter(cs, &p, &left, &addr, insn)) {
			fn->decode_failed = true;
			break;
		}
		if (insn->id != X86_INS_INT3)
			code_end = addr;
		else if (!first_int3)
			first_int3 = at;
		if (insn->id == X86_INS_RET) {
			if (fn->ret_cnt < PROBEPLAN_MAX_RETS)
				fn->ret_offs[fn->ret_cnt++] = fn->file_off + (at - entry);
			else
				fn->rets_truncated = true;
		}
		if (is_tail_jmp(insn, entry, end))
			fn->tail_jmps++;
		track_arg_homes(insn, &homes, fn);
		if (!in_prologue)
			continue;
		if (writes_reg(insn, is_rbp)) {
			fn->post_prologue_off = fn->file_off + (addr - entry);
			fn->args_intact = !clobbered;
			in_prologue = false;
		} else if (ends_prologue(insn) || ++seen >= PP_PROLOGUE_WINDOW) {
			in_prologue = false;
		} else if (writes_reg(insn, is_arg_reg)) {
			clobbered = true;
		}
	}
	cs_free(insn, 1);
	/* Trailing INT3s are the linker's alignment padding, not the function. */
	fn->size = fn->decode_failed ? len : code_end - entry;
	if (first_int3 && first_int3 < code_end)
		fn->int3_off = fn->file_off + (first_int3 - entry);
	return 0;
}

static int open_capstone(csh *cs, struct gm_err *err)
{
	if (cs_open(CS_ARCH_X86, CS_MODE_64, cs) != CS_ERR_OK)
		return gm_err_set(err, ENOMEM, "cannot open the Capstone x86-64 disassembler");
	if (cs_option(*cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		cs_close(cs);
		return gm_err_set(err, EINVAL, "Capstone refuses instruction detail");
	}
	return 0;
}

int probeplan__decode(const uint8_t *code, uint64_t len, struct probe_fn *fn)
{
	csh cs;
	int ret;

	ret = open_capstone(&cs, NULL);
	if (ret)
		return ret;
	ret = decode_code(cs, code, len, fn);
	cs_close(&cs);
	return ret;
}

/*
 * The Go compiler puts no INT3 inside these functions, but a uprobe that
 * some tracer (another gomaptrace, bpftrace, ...) has on this file shows
 * as one through a MAP_PRIVATE mapping of it: the kernel installs
 * breakpoints in every private mapping of a probed inode.  read() sees the
 * page cache, which is never patched.  Decode those bytes instead, once
 * they agree with the mapping everywhere but at the breakpoints, so they
 * are the same file.
 */
static int redecode_from_file(csh cs, const struct goelf *elf, const uint8_t *mapped,
			      uint64_t len, struct probe_fn *fn)
{
	struct probe_fn clean = { .name = fn->name, .state = fn->state,
				  .vaddr = fn->vaddr, .file_off = fn->file_off };
	uint8_t *buf = NULL;
	uint64_t i;
	ssize_t n;
	int fd, ret = -EIO;

	if (!strcmp(goelf__path(elf), "<memory>"))
		return -ENOENT;
	fd = open(goelf__path(elf), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(len);
	if (!buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	n = pread(fd, buf, len, (off_t)fn->file_off);
	if (n < 0 || (uint64_t)n != len)
		goto cleanup;
	for (i = 0; i < len; i++)
		if (buf[i] != mapped[i] && mapped[i] != 0xcc)
			goto cleanup;
	ret = decode_code(cs, buf, len, &clean);
	if (!ret)
		*fn = clean;

cleanup:
	free(buf);
	close(fd);
	return ret;
}

static int plan_fn(csh cs, const struct goelf *elf, const struct pclntab *tab,
		   struct probe_fn *fn, struct gm_err *err)
{
	const uint8_t *code;
	struct pcln_func pf;
	int ret;

	if (pclntab__func_by_name(tab, fn->name, &pf)) {
		fn->state = pclntab__is_inlined_somewhere(tab, fn->name) ?
			    PROBE_FN_INLINED : PROBE_FN_ABSENT;
		return 0;
	}
	fn->state = PROBE_FN_PRESENT;
	fn->vaddr = pf.entry;
	if (pf.end <= pf.entry || pf.end - pf.entry > PP_MAX_FN_SPAN)
		return gm_err_set(err, EINVAL, "%s: implausible function bounds 0x%llx-0x%llx",
				  fn->name, (unsigned long long)pf.entry,
				  (unsigned long long)pf.end);
	code = text_bytes(elf, pf.entry, pf.end - pf.entry, &fn->file_off);
	if (!code)
		return gm_err_set(err, EINVAL,
				  "%s: code 0x%llx-0x%llx is not in an executable segment",
				  fn->name, (unsigned long long)pf.entry,
				  (unsigned long long)pf.end);
	ret = decode_code(cs, code, pf.end - pf.entry, fn);
	if (!ret && fn->int3_off)
		ret = redecode_from_file(cs, elf, code, pf.end - pf.entry, fn);
	if (ret == -ENOMEM)
		return gm_err_set(err, ENOMEM, "%s: out of memory", fn->name);
	/*
	 * Still an INT3 inside: the file itself has it, or it changed under
	 * us.  Offsets decoded past it could split an instruction.
	 */
	if (ret || fn->int3_off)
		return gm_err_set(err, EBUSY,
				  "%s: INT3 inside the code at file offset 0x%llx, "
				  "not emitted by Go: the binary is corrupt or changing",
				  fn->name, (unsigned long long)fn->int3_off);
	return 0;
}

/*
 * The classic large-growth point: allocLarge, read up the frame chain to
 * hashGrow.  Only when hashGrow keeps h in a home above its return address
 * (an argument slot) and every address involved is sane; else the binary
 * simply gets no such point.
 */
static void plan_large_grow(struct probeplan *plan)
{
	const struct probe_fn *hg = probeplan__fn(plan, "runtime.hashGrow");
	const struct probe_fn *al = probeplan__fn(plan, "runtime.(*mcache).allocLarge");
	struct gm_layout *l = &plan->layout;

	l->grow_map_slot = GM_SLOT_ABSENT;
	if (!hg || !al || hg->state != PROBE_FN_PRESENT || al->state != PROBE_FN_PRESENT ||
	    hg->decode_failed || hg->arg_slot[1] < 16 || hg->vaddr > UINT64_MAX - hg->span)
		return;
	l->grow_map_slot = hg->arg_slot[1];
	l->grow_lo = hg->vaddr;
	l->grow_hi = hg->vaddr + hg->span;
	l->large_probe_vaddr = al->vaddr + ((al->post_prologue_off ? al->post_prologue_off :
					     al->file_off) - al->file_off);
}

struct probeplan *probeplan__new(const struct goelf *elf, const struct pclntab *tab,
				 const struct go_buildinfo *bi, struct gm_err *err)
{
	struct probeplan *plan;
	const char *names[64];
	bool cs_ok = false;
	size_t i, cnt;
	int ret = -ENOMEM;
	csh cs;

	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		gm_err_set(err, ENOMEM, "out of memory");
		goto cleanup;
	}
	ret = pick_impl(tab, bi, &plan->impl, err);
	if (ret)
		goto cleanup;
	gomap__layout(&plan->layout, plan->impl, bi->major, bi->minor);

	cnt = probes__runtime_fns(plan->impl, names, ARRAY_SIZE(names));
	if (cnt > ARRAY_SIZE(names)) {
		ret = gm_err_set(err, E2BIG, "%zu runtime functions to plan, room for %zu", cnt,
				 ARRAY_SIZE(names));
		goto cleanup;
	}
	plan->fns = calloc(cnt, sizeof(*plan->fns));
	if (!plan->fns) {
		ret = gm_err_set(err, ENOMEM, "out of memory");
		goto cleanup;
	}
	plan->fn_cnt = cnt;

	ret = open_capstone(&cs, err);
	if (ret)
		goto cleanup;
	cs_ok = true;
	for (i = 0; i < cnt; i++) {
		plan->fns[i].name = names[i];
		ret = plan_fn(cs, elf, tab, &plan->fns[i], err);
		if (ret)
			goto cleanup;
	}

	if (plan->impl == GM_MAP_CLASSIC)
		plan_large_grow(plan);

cleanup:
	if (cs_ok)
		cs_close(&cs);
	if (ret) {
		probeplan__free(plan);
		return NULL;
	}
	return plan;
}

void probeplan__free(struct probeplan *plan)
{
	int saved = errno;	/* a failed probeplan__new's code */

	if (!plan)
		return;
	free(plan->fns);
	free(plan);
	errno = saved;
}

const struct probe_fn *probeplan__fn(const struct probeplan *plan, const char *name)
{
	size_t i;

	if (!plan || !name)
		return NULL;
	for (i = 0; i < plan->fn_cnt; i++)
		if (!strcmp(plan->fns[i].name, name))
			return &plan->fns[i];
	return NULL;
}

const char *probeplan__impl_name(enum gm_map_impl impl)
{
	return gomap__impl_name(impl);
}

const char *probeplan__state_name(enum probe_fn_state state)
{
	switch (state) {
	case PROBE_FN_PRESENT:
		return "present";
	case PROBE_FN_INLINED:
		return "inlined";
	case PROBE_FN_ABSENT:
		return "absent";
	default:
		return "unknown";
	}
}
