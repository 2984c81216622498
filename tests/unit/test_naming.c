// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * naming and the /proc/PID/maps reader: what every output prints for a
 * byte count, and the one parser of the maps file, run on our own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "naming.h"
#include "target.h"

static void test_bytes(void **state)
{
	static const struct {
		uint64_t b;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1536, "1.5 KiB" },
		{ 10 << 20, "10.0 MiB" },
		{ 3ULL << 30, "3.0 GiB" },
		{ 5ULL << 40, "5.0 TiB" },
		{ 2048ULL << 40, "2048.0 TiB" },
	};
	char buf[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(naming__bytes(cases[i].b, buf, sizeof(buf)), cases[i].want);
	/* cut short, never overflowed */
	assert_string_equal(naming__bytes(1536, buf, 4), "1.5");
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
	struct seen s = { .code = (uintptr_t)test_bytes };
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_each_mapping_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
