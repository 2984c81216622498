// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * gomaptrace symbolize: addresses to function and file:line, from the
 * binary's own pclntab, so it works on stripped binaries that neither
 * binutils addr2line (no DWARF) nor `go tool addr2line` (older toolchains,
 * stripped PIE) can read.  The text output is `addr2line -f -i`'s, so
 * scripts written for binutils keep working; inlined frames are expanded,
 * innermost first.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cliutil.h"
#include "commands.h"
#include "gm_err.h"
#include "goelf.h"
#include "jsonw.h"
#include "pclntab.h"

/* Real inline chains are a handful deep; more would be a corrupt table. */
#define SYM_MAX_FRAMES	64

static const char symbolize_usage[] =
"usage: gomaptrace symbolize [-a] [--json] BINARY [ADDR...]\n"
"\n"
"Print the function and source position of each link-time address in a Go\n"
"binary, from its .gopclntab (no symbols or DWARF needed).  Addresses are\n"
"hex, with or without 0x; without ADDR arguments they are read from stdin,\n"
"one per line, and each answer is flushed as soon as it is known.\n"
"\n"
"Output is that of binutils `addr2line -f -i`: for each address and each\n"
"frame, innermost inlined call first, one line with the function name and\n"
"one line FILE:LINE; an address outside every Go function prints \"??\" and\n"
"\"??:0\".\n"
"\n"
"  -a, --addresses  print the address (0x%016x) before its frames\n"
"  -j, --json       one JSON object: {\"path\", \"addresses\": [{\"address\",\n"
"                   \"frames\": [{\"function\", \"file\", \"line\"}]}]}\n"
"  -f, -i           accepted for addr2line compatibility (always on)\n"
"  -h, --help       this text\n"
"\n"
"Exit status: 0, or 2 for an unusable binary or an address that is not hex.\n";

struct sym {
	const char *path;
	bool addresses;
	struct jsonw *json;
	struct goelf *elf;
	struct pclntab *tab;
};

/* Hex with an optional 0x, surrounding blanks ignored; false if anything else. */
static bool parse_addr(const char *s, uint64_t *pc)
{
	uint64_t v = 0;
	int digits = 0;

	while (isblank((unsigned char)*s))
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; isxdigit((unsigned char)*s); s++) {
		if (v >> 60)
			return false;	/* would not fit in 64 bits */
		v = v << 4 | (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' :
					 tolower((unsigned char)*s) - 'a' + 10);
		digits++;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!digits || *s)
		return false;
	*pc = v;
	return true;
}

/* The file of a frame, as addr2line spells "unknown". */
static const char *frame_file(const struct pcln_frame *f)
{
	return strcmp(f->file, "?") ? f->file : "??";
}

static void print_one(struct sym *s, uint64_t pc)
{
	struct pcln_frame fr[SYM_MAX_FRAMES];
	int n, i;

	n = pclntab__symbolize(s->tab, pc, fr, SYM_MAX_FRAMES);
	if (s->json) {
		jsonw_start_object(s->json);
		jsonw_kv_hex(s->json, "address", pc);
		jsonw_key(s->json, "frames");
		jsonw_start_array(s->json);
		for (i = 0; i < n; i++) {
			jsonw_start_object(s->json);
			jsonw_kv_string(s->json, "function", fr[i].function);
			jsonw_key(s->json, "file");
			if (strcmp(fr[i].file, "?"))
				jsonw_string(s->json, fr[i].file);
			else
				jsonw_null(s->json);
			jsonw_kv_i64(s->json, "line", fr[i].line);
			jsonw_end_object(s->json);
		}
		jsonw_end_array(s->json);
		jsonw_end_object(s->json);
		return;
	}
	if (s->addresses)
		printf("0x%016" PRIx64 "\n", pc);
	if (n <= 0) {
		/* outside Go code, or a corrupt record: addr2line's "unknown" */
		fputs("??\n??:0\n", stdout);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%s\n%s:%d\n", fr[i].function, frame_file(&fr[i]), fr[i].line);
}

static int open_binary(struct sym *s, struct gm_err *err)
{
	s->elf = goelf__open(s->path, err);
	if (!s->elf)
		return -errno;
	s->tab = pclntab__new(s->elf, err);
	if (!s->tab)
		return -errno;
	goelf__drop_code(s->elf);	/* symbolizing reads tables, never code */
	return 0;
}

/* Addresses from stdin, answered one by one so that a pipe can converse. */
static int from_stdin(struct sym *s)
{
	char *line = NULL;
	size_t cap = 0;
	uint64_t pc;
	ssize_t len;
	int ret = GM_EXIT_OK;

	while ((len = getline(&line, &cap, stdin)) > 0) {
		const char *p = line;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if (!parse_addr(line, &pc)) {
			line[strcspn(line, "\r\n")] = '\0';
			fflush(stdout);
			fprintf(stderr, "gomaptrace symbolize: %s: not a hex address\n", line);
			ret = GM_EXIT_BAD_INPUT;
			break;
		}
		print_one(s, pc);
		if (!s->json)
			fflush(stdout);
	}
	free(line);
	return ret;
}

int cmd_symbolize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addresses", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "functions", no_argument, NULL, 'f' },
		{ "inlines", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gm_err err = { { 0 } };
	struct sym s = { 0 };
	bool json = false;
	uint64_t *pcs = NULL, pc;
	int opt, i, npc = 0, ret = GM_EXIT_OK;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "ajfih", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			s.addresses = true;
			break;
		case 'j':
			json = true;
			break;
		case 'f':
		case 'i':
			break;
		case 'h':
			fputs(symbolize_usage, stdout);
			return GM_EXIT_OK;
		default:
			cli_see_help("symbolize");
			return GM_EXIT_BAD_INPUT;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gomaptrace symbolize: expected a BINARY\n");
		fputs(symbolize_usage, stderr);
		return GM_EXIT_BAD_INPUT;
	}
	s.path = argv[optind++];

	/* every argument is checked before the first line of output */
	if (optind < argc) {
		pcs = calloc(argc - optind, sizeof(*pcs));
		if (!pcs) {
			fprintf(stderr, "gomaptrace symbolize: out of memory\n");
			return GM_EXIT_FAILURE;
		}
	}
	for (i = optind; i < argc; i++) {
		if (!parse_addr(argv[i], &pc)) {
			fprintf(stderr, "gomaptrace symbolize: %s: not a hex address\n", argv[i]);
			ret = GM_EXIT_BAD_INPUT;
			goto cleanup;
		}
		pcs[npc++] = pc;
	}
	if (open_binary(&s, &err)) {
		gm_err_printf("symbolize", &err, "%s", s.path);
		ret = GM_EXIT_BAD_INPUT;
		goto cleanup;
	}
	if (json) {
		s.json = jsonw__new(stdout);
		if (!s.json) {
			fprintf(stderr, "gomaptrace symbolize: out of memory\n");
			ret = GM_EXIT_FAILURE;
			goto cleanup;
		}
		jsonw_start_object(s.json);
		jsonw_kv_string(s.json, "path", s.path);
		jsonw_key(s.json, "addresses");
		jsonw_start_array(s.json);
	}
	if (npc) {
		for (i = 0; i < npc; i++)
			print_one(&s, pcs[i]);
	} else {
		ret = from_stdin(&s);
	}
	if (s.json) {
		jsonw_end_array(s.json);
		jsonw_end_object(s.json);
		if (jsonw__free(s.json) && !ret)
			ret = GM_EXIT_FAILURE;
		s.json = NULL;
	}
	if ((fflush(stdout) || ferror(stdout)) && !ret)
		ret = GM_EXIT_FAILURE;
	if (ret == GM_EXIT_FAILURE)
		fprintf(stderr, "gomaptrace symbolize: cannot write the output\n");

cleanup:
	pclntab__free(s.tab);
	goelf__free(s.elf);
	free(pcs);
	return ret;
}
