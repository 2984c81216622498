// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * naming and the /proc/PID/maps reader: what every output prints for a
 * byte count, and the one parser of the maps file, run on our own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "naming.h"
#include "target.h"
#include "gobin.h"
#include "synctrie.h"
#include "tracker.h"
#include "cases.h"

/*
 * A naming function on one input, the buffer it gets, and what it must
 * write: every output prints these the same way.
 */
enum naming_fn { N_BYTES, N_LOC, N_PRINTABLE, N_TYPE };

struct naming_case {
	const char *name;
	enum naming_fn fn;
	size_t len;		/* buffer given; 0: 64 */
	uint64_t b;		/* N_BYTES; N_TYPE: the type address */
	struct tloc loc;	/* N_LOC */
	const char *s;		/* N_PRINTABLE */
	bool bias_known;	/* N_TYPE: the target's load address is known, 0x400000 */
	const char *want;
	bool unavailable;	/* N_TYPE: naming__type_unavailable() says why */
};

static const struct naming_case naming_cases[] = {
	{ "bytes: 0", N_BYTES, 16, .b = 0, .want = "0 B" },
	{ "bytes: 1023", N_BYTES, 16, .b = 1023, .want = "1023 B" },
	{ "bytes: 1024", N_BYTES, 16, .b = 1024, .want = "1.0 KiB" },
	{ "bytes: 1536", N_BYTES, 16, .b = 1536, .want = "1.5 KiB" },
	{ "bytes: 10 MiB", N_BYTES, 16, .b = 10 << 20, .want = "10.0 MiB" },
	{ "bytes: 3 GiB", N_BYTES, 16, .b = 3ULL << 30, .want = "3.0 GiB" },
	{ "bytes: 5 TiB", N_BYTES, 16, .b = 5ULL << 40, .want = "5.0 TiB" },
	{ "bytes: TiB is the largest unit", N_BYTES, 16, .b = 2048ULL << 40, .want = "2048.0 TiB" },
	/* cut short, never overflowed */
	{ "bytes: cut short", N_BYTES, 4, .b = 1536, .want = "1.5" },
	{ "loc: function, file and line", N_LOC, .loc = { "main.fill", "/src/main.go", 28 },
	  .want = "main.fill /src/main.go:28" },
	{ "loc: no file", N_LOC, .loc = { "main.fill", NULL, 28 }, .want = "main.fill ?:28" },
	{ "loc: unknown", N_LOC, .loc = { NULL, "/src/main.go", 28 }, .want = "?" },
	{ "loc: cut short", N_LOC, 8, .loc = { "main.fill", "/src/main.go", 28 }, .want = "main.fi" },
	{ "printable: plain", N_PRINTABLE, .s = "leaky-2", .want = "leaky-2" },
	{ "printable: an escape sequence", N_PRINTABLE, .s = "a\x1b[31mred", .want = "a\\x1b[31mred" },
	{ "printable: tab and newline", N_PRINTABLE, .s = "t\tn\n", .want = "t\\x09n\\x0a" },
	{ "printable: DEL", N_PRINTABLE, .s = "del\x7f", .want = "del\\x7f" },
	{ "printable: a backslash doubled", N_PRINTABLE, .s = "back\\slash", .want = "back\\\\slash" },
	{ "printable: UTF-8 passes", N_PRINTABLE, .s = "caf\xc3\xa9", .want = "caf\xc3\xa9" },
	{ "printable: NULL", N_PRINTABLE, .s = NULL, .want = "" },
	/* room for an escape is kept: cut before it would not fit */
	{ "printable: cut short", N_PRINTABLE, 8, .s = "abcdefgh", .want = "abc" },
	{ "printable: cut before an escape", N_PRINTABLE, 10, .s = "ab\x1b" "cd", .want = "ab\\x1b" },
	{ "type: a sync.Map trie", N_TYPE, .b = TMAP_TYPE_SYNCTRIE, .bias_known = true,
	  .want = SYNCTRIE_TYPE_NAME },
	{ "type: none", N_TYPE, .b = 0, .bias_known = true, .want = "?", .unavailable = true },
	{ "type: load address unknown", N_TYPE, .b = 0x4c0000, .want = "?", .unavailable = true },
	{ "type: below the executable", N_TYPE, .b = 0x1000, .bias_known = true, .want = "?",
	  .unavailable = true },
};

static void test_naming(void **state)
{
	const struct naming_case *c = CASE(struct naming_case, state);
	struct gobin bin;
	struct target t;
	char buf[64];
	size_t len = c->len ? c->len : sizeof(buf);

	memset(buf, 'Z', sizeof(buf));
	switch (c->fn) {
	case N_BYTES:
		assert_string_equal(naming__bytes(c->b, buf, len), c->want);
		break;
	case N_LOC:
		assert_string_equal(naming__loc(&c->loc, buf, len), c->want);
		break;
	case N_PRINTABLE:
		assert_string_equal(naming__printable(c->s, buf, len), c->want);
		break;
	case N_TYPE:
		memset(&bin, 0, sizeof(bin));
		memset(&t, 0, sizeof(t));
		snprintf(bin.types_unavailable, sizeof(bin.types_unavailable), "no type data here");
		t.bin = &bin;
		t.bias_known = c->bias_known;
		t.bias = 0x400000;
		assert_string_equal(naming__type(&t, c->b, buf, len), c->want);
		assert_int_equal(naming__type_unavailable(&t, c->b) != NULL, c->unavailable);
		break;
	}
	/* nothing written past the buffer given */
	if (len < sizeof(buf))
		assert_int_equal(buf[len], 'Z');
}

struct seen {
	uintptr_t code, anon;
	bool code_found, anon_found;
	int lines;
};

static int look(const struct target_mapping *m, void *ctx)
{
	struct seen *s = ctx;

	s->lines++;
	assert_true(m->start < m->end);
	if (s->code >= m->start && s->code < m->end) {
		s->code_found = strchr(m->perms, 'x') && m->ino && *m->path == '/';
	}
	if (s->anon >= m->start && s->anon < m->end)
		s->anon_found = !m->ino && !strncmp(m->perms, "rw", 2) && !*m->path;
	return 0;
}

static int stop_at_first(const struct target_mapping *m, void *ctx)
{
	(void)m;
	++*(int *)ctx;
	return 7;
}

static void test_each_mapping_self(void **state)
{
	struct seen s = { .code = (uintptr_t)test_naming };
	void *anon = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int calls = 0;

	(void)state;
	assert_true(anon != MAP_FAILED);
	s.anon = (uintptr_t)anon;
	assert_int_equal(target__each_mapping(0, look, &s), 0);
	assert_true(s.lines > 3);
	assert_true(s.code_found);
	assert_true(s.anon_found);
	/* a non-zero answer stops the walk and is returned */
	assert_int_equal(target__each_mapping(0, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
	/* no such process: -errno */
	assert_true(target__each_mapping(0x3fffffff, look, &s) < 0);
	munmap(anon, 1 << 16);
}

int main(void)
{
	struct suite s = {};

	suite_rows(&s, test_naming, naming_cases);
	suite_test(&s, test_each_mapping_self);
	return suite_run(&s, "naming");
}
