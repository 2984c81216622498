// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gomaptrace inspect: what the tracer would see in one binary, without
 * attaching anything.  Everything is parsed before the first byte of output
 * so that a bad binary yields exactly one error line and no half report.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "buildinfo.h"
#include "cliutil.h"
#include "commands.h"
#include "gm_err.h"
#include "gobin.h"
#include "gomap.h"
#include "goelf.h"
#include "gotypes.h"
#include "jsonw.h"
#include "pclntab.h"
#include "probeplan.h"

static const char inspect_usage[] =
"usage: gomaptrace inspect BINARY|PID [--json] [--types]\n"
"\n"
"Show what gomaptrace reads from a Go binary: build facts, which map\n"
"implementation its runtime uses, where each map probe would go, and the\n"
"struct offsets the probes read.  Nothing is attached; no privileges are\n"
"needed beyond reading the file.  A PID (all digits) means /proc/PID/exe.\n"
"\n"
"  -j, --json    one JSON object instead of text\n"
"  -t, --types   also list the map types the binary contains (typelinks)\n"
"  -h, --help    this text\n"
"\n"
"Text output: the build facts (Go version, experiments, arch, PIE, stripped\n"
"= no .symtab, cgo, buildmode, map implementation), then the probe plan,\n"
"one row per runtime map function:\n"
"  STATE     present; inlined (only inside other functions: a uprobe would\n"
"            never fire); absent (not linked in)\n"
"  ADDRESS   link-time virtual address of the entry\n"
"  FILE OFF  offset in the file, what uprobes attach to\n"
"  SIZE      code bytes, alignment padding excluded\n"
"  PROLOGUE  file offset of the instruction after the first one that writes\n"
"            RBP (the frame is complete there); '-' when the function sets\n"
"            up no frame\n"
"  RETS      file offsets of every RET instruction, decoded with Capstone\n"
"then the struct offsets (decimal bytes) of the map header, table, type\n"
"descriptor and g that the probes read.  With --types, one line per map type:\n"
"\"0xADDRESS map[K]V\".  A binary built by a Go release newer than the newest\n"
"tested gets a \"note:\" line: which release, and whether the runtime\n"
"self-check passed (the newest known layouts are used only if it did; if it\n"
"failed, map types are not named and --types says why instead of listing).\n"
"\n"
"JSON output: {\"path\", \"go_version\", \"experiments\": [...], \"arch\", \"pie\",\n"
"\"stripped\", \"cgo\", \"buildmode\", \"modinfo\", \"map_impl\": \"classic\"|\"swiss\",\n"
"\"functions\": [{\"name\", \"state\", \"address\", \"file_offset\", \"size\", \"span\",\n"
"\"post_prologue_offset\", \"ret_offsets\": [...], \"frameless\", \"args_intact\",\n"
"\"decode_failed\", \"rets_truncated\", \"tail_jumps\"}], \"layout\": {\"impl\",\n"
"\"verified\" (offsets checked against this Go version's sources), field: offset},\n"
"\"map_types\": [{\"address\", \"name\"}] (with --types; null when type names\n"
"are unavailable), \"newest_tested_go\", \"newer_than_tested\", \"self_check\":\n"
"\"not_needed\"|\"passed\"|\"failed\", \"self_check_detail\", \"note\",\n"
"\"types_unavailable_reason\" (null when types can be named)}.  Addresses and\n"
"offsets are \"0x...\" strings, sizes numbers; null where a function is not\n"
"present, where it has no prologue, or where a layout field does not exist\n"
"in this implementation.\n"
"\n"
"Exit status: 0 ok; 2 bad usage or a binary that cannot be traced (not ELF,\n"
"truncated, not Go, Go older than 1.17, unsupported architecture, corrupt\n"
"tables), reported as one line \"gomaptrace inspect: TARGET: REASON\".\n";

/* One gm_layout field: JSON key, text labels per implementation (NULL: n/a). */
struct layout_row {
	const char *key;
	size_t off;
	const char *classic, *swiss;
};

/* Every field is __u16; the array below fails to compile otherwise. */
#define LF(f, c, s) { #f, offsetof(struct gm_layout, f) + \
	0 * sizeof(char[sizeof(((struct gm_layout *)0)->f) == 2 ? 1 : -1]), c, s }

static const struct layout_row layout_rows[] = {
	LF(map_count_off, "hmap.count", "Map.used"),
	LF(map_count_size, "  size", "  size"),
	LF(map_seed_off, "hmap.hash0", "Map.seed"),
	LF(map_seed_size, "  size", "  size"),
	LF(map_B_off, "hmap.B", NULL),
	LF(map_buckets_off, "hmap.buckets", "Map.dirPtr"),
	LF(map_dirlen_off, NULL, "Map.dirLen"),
	LF(map_extra_off, "hmap.extra", NULL),
	LF(extra_nextoverflow_off, "mapextra.nextOverflow", NULL),
	LF(type_bucket_off, "maptype.Bucket", "MapType.Group"),
	LF(type_bucketsize_off, "maptype.BucketSize", "MapType.GroupSize"),
	LF(type_bucketsize_size, "  size", "  size"),
	LF(table_used_off, NULL, "table.used"),
	LF(table_capacity_off, NULL, "table.capacity"),
	LF(table_capacity_size, NULL, "  size"),
	LF(g_stack_lo_off, "g.stack.lo", "g.stack.lo"),
	LF(g_stack_hi_off, "g.stack.hi", "g.stack.hi"),
	LF(g_goid_off, "g.goid", "g.goid"),
};

struct map_type {
	uint64_t addr;
	char *name;
};

struct inspect {
	const char *target;	/* as given: path or pid */
	char path[64 + 4096];	/* what was opened */
	bool json, types;

	struct gobin *bin;	/* the same reading trace and the daemon do */
	const struct goelf *elf;
	const struct go_buildinfo *bi;
	const struct probeplan *plan;
	struct map_type *mts;
	size_t mt_cnt, mt_cap;
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Strings from the binary are untrusted: keep terminal escapes out. */
static void put_safe(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static int collect_map_type(uint64_t addr, const char *name, void *ctx)
{
	struct inspect *in = ctx;
	struct map_type *mts;

	if (in->mt_cnt == in->mt_cap) {
		size_t cap = in->mt_cap ? in->mt_cap * 2 : 64;

		mts = realloc(in->mts, cap * sizeof(*mts));
		if (!mts)
			return -ENOMEM;
		in->mts = mts;
		in->mt_cap = cap;
	}
	in->mts[in->mt_cnt].addr = addr;
	in->mts[in->mt_cnt].name = strdup(name);
	if (!in->mts[in->mt_cnt].name)
		return -ENOMEM;
	in->mt_cnt++;
	return 0;
}

static int resolve_target(struct inspect *in, struct gm_err *err)
{
	struct stat st;

	if (!all_digits(in->target)) {
		snprintf(in->path, sizeof(in->path), "%s", in->target);
		return 0;
	}
	if (strlen(in->target) > 10)
		return gm_err_set(err, ESRCH, "no such process");
	snprintf(in->path, sizeof(in->path), "/proc/%s", in->target);
	if (stat(in->path, &st))
		return gm_err_set(err, ESRCH, "no such process");
	snprintf(in->path, sizeof(in->path), "/proc/%s/exe", in->target);
	return 0;
}

static int analyze(struct inspect *in, struct gm_err *err)
{
	int ret;

	ret = resolve_target(in, err);
	if (ret)
		return ret;
	in->bin = gobin__open(in->path, err);
	if (!in->bin)
		return -EINVAL;
	in->elf = in->bin->elf;
	in->bi = &in->bin->bi;
	in->plan = in->bin->plan;
	if (!in->types)
		return 0;
	/*
	 * A tested release without type data is an error, as it always was; a
	 * newer one that failed the self-check is a finding, said in the output.
	 */
	if (!in->bin->types && in->bin->self_check != GOBIN_CHECK_FAILED)
		return gm_err_set(err, ENOENT, "%s", in->bin->types_unavailable);
	if (!in->bin->types)
		return 0;
	ret = gotypes__for_each_map_type(in->bin->types, collect_map_type, in);
	if (ret == -ENOMEM)
		return gm_err_set(err, ENOMEM, "out of memory");
	if (ret < 0)
		return gm_err_set(err, -ret, "cannot list map types: %s", strerror(-ret));
	return 0;
}

static void inspect_free(struct inspect *in)
{
	size_t i;

	for (i = 0; i < in->mt_cnt; i++)
		free(in->mts[i].name);
	free(in->mts);
	gobin__free(in->bin);
}

static __u16 layout_val(const struct gm_layout *l, const struct layout_row *r)
{
	__u16 v;

	memcpy(&v, (const char *)l + r->off, sizeof(v));
	return v;
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* ---- text ---- */

static void text_fn(FILE *out, const struct probe_fn *fn)
{
	int i;

	if (fn->state != PROBE_FN_PRESENT) {
		fprintf(out, "%-44s %s\n", fn->name, probeplan__state_name(fn->state));
		return;
	}
	fprintf(out, "%-44s %-8s", fn->name, probeplan__state_name(fn->state));
	fprintf(out, " %#-10llx %#-9llx %5llu ", (unsigned long long)fn->vaddr,
		(unsigned long long)fn->file_off, (unsigned long long)fn->size);
	if (fn->post_prologue_off)
		fprintf(out, "%#-9llx", (unsigned long long)fn->post_prologue_off);
	else
		fprintf(out, "%-9s", "-");
	for (i = 0; i < fn->ret_cnt; i++)
		fprintf(out, "%s%#llx", i ? "," : " ", (unsigned long long)fn->ret_offs[i]);
	if (fn->rets_truncated)
		fputs(",...", out);
	fputc('\n', out);
}

/* Facts a reader of the table would otherwise miss. */
static void text_fn_notes(FILE *out, const struct probeplan *plan)
{
	size_t i;

	for (i = 0; i < plan->fn_cnt; i++) {
		const struct probe_fn *fn = &plan->fns[i];

		if (fn->state != PROBE_FN_PRESENT)
			continue;
		if (fn->decode_failed)
			fprintf(out, "  %s: disassembly stopped before the end; RETs incomplete\n",
				fn->name);
		if (!fn->post_prologue_off)
			fprintf(out, "  %s: no frame set up; probe at the entry\n", fn->name);
		else if (!fn->args_intact)
			fprintf(out, "  %s: prologue overwrites an argument register\n", fn->name);
		if (fn->tail_jmps)
			fprintf(out, "  %s: %d tail jump(s) leave without RET\n", fn->name,
				fn->tail_jmps);
		if (fn->rets_truncated)
			fprintf(out, "  %s: more than %d RETs\n", fn->name, PROBEPLAN_MAX_RETS);
	}
}

static void print_text(FILE *out, const struct inspect *in)
{
	const struct probeplan *plan = in->plan;
	bool swiss = plan->impl == GM_MAP_SWISS;
	char buildmode[32];
	size_t i;

	fputs("path:         ", out);
	put_safe(out, in->path);
	fputs("\ngo version:   ", out);
	put_safe(out, in->bi->version);
	fputs("\nexperiments:  ", out);
	put_safe(out, in->bi->experiments[0] ? in->bi->experiments : "-");
	fprintf(out, "\narch:         %s\n", goelf__arch_name(in->elf));
	fprintf(out, "pie:          %s\n", yes_no(goelf__is_pie(in->elf)));
	fprintf(out, "stripped:     %s\n", yes_no(!goelf__has_symtab(in->elf)));
	fprintf(out, "cgo:          %s\n", yes_no(in->bi->cgo));
	snprintf(buildmode, sizeof(buildmode), "%s", in->bi->buildmode[0] ? in->bi->buildmode : "-");
	fputs("buildmode:    ", out);
	put_safe(out, buildmode);
	fprintf(out, "\nmap impl:     %s\n", gomap__impl_name(plan->impl));
	if (gobin__newer_note(in->bin)) {
		fputs("note:         ", out);
		put_safe(out, gobin__newer_note(in->bin));
		fputc('\n', out);
	} else if (in->bin->types_unavailable[0]) {
		fputs("types:        unavailable: ", out);
		put_safe(out, in->bin->types_unavailable);
		fputc('\n', out);
	}
	fputc('\n', out);

	fprintf(out, "%-44s %-8s %-10s %-9s %5s %-9s %s\n", "FUNCTION", "STATE", "ADDRESS",
		"FILE OFF", "SIZE", "PROLOGUE", "RETS");
	for (i = 0; i < plan->fn_cnt; i++)
		text_fn(out, &plan->fns[i]);
	text_fn_notes(out, plan);

	fprintf(out, "\nlayout (%s, byte offsets%s):\n", gomap__impl_name(plan->impl),
		in->bin->layout_verified ? "" :
		in->bin->self_check == GOBIN_CHECK_PASSED ? "; the newest known, not checked against this Go version; runtime self-check passed" :
		in->bin->self_check == GOBIN_CHECK_FAILED ? "; the newest known, not checked against this Go version; runtime self-check FAILED" :
		"; NOT checked against this Go version");
	for (i = 0; i < sizeof(layout_rows) / sizeof(layout_rows[0]); i++) {
		const struct layout_row *r = &layout_rows[i];
		const char *label = swiss ? r->swiss : r->classic;
		__u16 v = layout_val(&plan->layout, r);

		if (!label || v == GM_OFF_ABSENT)
			continue;
		fprintf(out, "  %-24s %4u  (%s)\n", label, v, r->key);
	}
	if (!swiss && plan->layout.grow_map_slot != GM_SLOT_ABSENT) {
		fprintf(out, "\nlarge growth (allocLarge, frame-pointer relative):\n");
		fprintf(out, "  %-24s %+4d  (grow_map_slot)\n", "hashGrow h", plan->layout.grow_map_slot);
	}

	if (!in->types)
		return;
	if (!in->bin->types) {
		/* said once above, in the note: here only where the list would be */
		fputs("\nmap types: unavailable: ", out);
		put_safe(out, in->bin->types_unavailable);
		fputc('\n', out);
		return;
	}
	fprintf(out, "\nmap types (%zu):\n", in->mt_cnt);
	for (i = 0; i < in->mt_cnt; i++) {
		fprintf(out, "%#llx ", (unsigned long long)in->mts[i].addr);
		put_safe(out, in->mts[i].name);
		fputc('\n', out);
	}
}

/* ---- JSON ---- */

static void json_fn(struct jsonw *w, const struct probe_fn *fn)
{
	bool present = fn->state == PROBE_FN_PRESENT;
	int i;

	jsonw_start_object(w);
	jsonw_kv_string(w, "name", fn->name);
	jsonw_kv_string(w, "state", probeplan__state_name(fn->state));
	jsonw_kv_hex_or_null(w, "address", present, fn->vaddr);
	jsonw_kv_hex_or_null(w, "file_offset", present, fn->file_off);
	jsonw_kv_u64_or_null(w, "size", present, fn->size);
	jsonw_kv_u64_or_null(w, "span", present, fn->span);
	jsonw_kv_hex_or_null(w, "post_prologue_offset", present && fn->post_prologue_off,
			 fn->post_prologue_off);
	jsonw_key(w, "ret_offsets");
	jsonw_start_array(w);
	for (i = 0; i < fn->ret_cnt; i++)
		jsonw_hex(w, fn->ret_offs[i]);
	jsonw_end_array(w);
	if (present) {
		jsonw_kv_bool(w, "frameless", !fn->post_prologue_off);
		jsonw_kv_bool(w, "args_intact", fn->post_prologue_off && fn->args_intact);
		jsonw_kv_bool(w, "decode_failed", fn->decode_failed);
		jsonw_kv_bool(w, "rets_truncated", fn->rets_truncated);
		jsonw_kv_i64(w, "tail_jumps", fn->tail_jmps);
	}
	jsonw_end_object(w);
}

/* The comma list as an array; empty entries dropped. */
static void json_experiments(struct jsonw *w, const char *list)
{
	char buf[sizeof(((struct go_buildinfo *)0)->experiments)];
	char *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	jsonw_key(w, "experiments");
	jsonw_start_array(w);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		jsonw_string(w, tok);
	jsonw_end_array(w);
}

static int print_json(FILE *out, const struct inspect *in)
{
	const struct probeplan *plan = in->plan;
	struct jsonw *w;
	size_t i;

	w = jsonw__new(out);
	if (!w)
		return -ENOMEM;
	jsonw_start_object(w);
	jsonw_kv_string(w, "path", in->path);
	jsonw_kv_string(w, "go_version", in->bi->version);
	json_experiments(w, in->bi->experiments);
	jsonw_kv_string(w, "arch", goelf__arch_name(in->elf));
	jsonw_kv_bool(w, "pie", goelf__is_pie(in->elf));
	jsonw_kv_bool(w, "stripped", !goelf__has_symtab(in->elf));
	jsonw_kv_bool(w, "cgo", in->bi->cgo);
	jsonw_kv_string(w, "buildmode", in->bi->buildmode);
	jsonw_kv_string(w, "modinfo", in->bi->modinfo ? in->bi->modinfo : "");
	jsonw_kv_string(w, "map_impl", gomap__impl_name(plan->impl));

	jsonw_key(w, "functions");
	jsonw_start_array(w);
	for (i = 0; i < plan->fn_cnt; i++)
		json_fn(w, &plan->fns[i]);
	jsonw_end_array(w);

	jsonw_key(w, "layout");
	jsonw_start_object(w);
	jsonw_kv_string(w, "impl", gomap__impl_name(plan->layout.impl));
	jsonw_kv_bool(w, "verified", in->bin->layout_verified);
	for (i = 0; i < sizeof(layout_rows) / sizeof(layout_rows[0]); i++) {
		__u16 v = layout_val(&plan->layout, &layout_rows[i]);

		jsonw_kv_u64_or_null(w, layout_rows[i].key, v != GM_OFF_ABSENT, v);
	}
	jsonw_kv_i64_or_null(w, "grow_map_slot", plan->layout.grow_map_slot != GM_SLOT_ABSENT,
			     plan->layout.grow_map_slot);
	jsonw_end_object(w);

	jsonw_kv_string(w, "newest_tested_go", gobin__newest_tested());
	jsonw_kv_bool(w, "newer_than_tested", in->bin->newer_than_tested);
	jsonw_kv_string(w, "self_check", gobin__check_str(in->bin->self_check));
	jsonw_kv_string_or_null(w, "self_check_detail", in->bin->self_check_detail);
	jsonw_kv_string_or_null(w, "note", gobin__newer_note(in->bin));
	jsonw_kv_string_or_null(w, "types_unavailable_reason", in->bin->types_unavailable);
	if (in->types && !in->bin->types) {
		jsonw_key(w, "map_types");
		jsonw_null(w);
	} else if (in->types) {
		jsonw_key(w, "map_types");
		jsonw_start_array(w);
		for (i = 0; i < in->mt_cnt; i++) {
			jsonw_start_object(w);
			jsonw_kv_hex(w, "address", in->mts[i].addr);
			jsonw_kv_string(w, "name", in->mts[i].name);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
	jsonw_end_object(w);
	return jsonw__free(w);
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "types", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct inspect in = { 0 };
	struct gm_err err = { { 0 } };
	int opt, ret = GM_EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "jth", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			in.json = true;
			break;
		case 't':
			in.types = true;
			break;
		case 'h':
			fputs(inspect_usage, stdout);
			return GM_EXIT_OK;
		default:
			cli_see_help("inspect");
			return GM_EXIT_BAD_INPUT;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "gomaptrace inspect: expected one BINARY or PID\n");
		fputs(inspect_usage, stderr);
		return GM_EXIT_BAD_INPUT;
	}
	in.target = argv[optind];

	if (analyze(&in, &err)) {
		gm_err_printf("inspect", &err, "%s", in.target);
		ret = GM_EXIT_BAD_INPUT;
		goto cleanup;
	}
	if (in.json) {
		if (print_json(stdout, &in))
			ret = GM_EXIT_FAILURE;
	} else {
		print_text(stdout, &in);
		if (fflush(stdout) || ferror(stdout))
			ret = GM_EXIT_FAILURE;
	}
	if (ret)
		fprintf(stderr, "gomaptrace inspect: cannot write the report\n");

cleanup:
	inspect_free(&in);
	return ret;
}
