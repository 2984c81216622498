/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Table-driven unit tests.  A table is an array of case structs whose
 * first member is `const char *name`; suite_rows() makes each row a cmocka
 * test of its own, named by the row, with the row as its state (CASE()), so
 * a failing case names itself and the others still run.  Plain test
 * functions join the same suite with suite_test(); suite_run() runs it as
 * one group.
 *
 * Where cases are checked in a loop inside one test (a sequence of steps),
 * case_ctx() says what is being run and the check_*() assertions print it
 * before they fail.  Each check_*() is one cmocka assertion.
 *
 * Include after <cmocka.h>.
 */
#ifndef GM_TEST_CASES_H
#define GM_TEST_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The row a table test runs. */
#define CASE(type, state) ((const type *)*(state))

struct suite {
	struct CMUnitTest *tests;
	size_t n, cap;
};

static inline void suite_add(struct suite *s, const char *name, CMUnitTestFunction fn,
			     const void *state, CMFixtureFunction setup, CMFixtureFunction teardown)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct CMUnitTest *t = realloc(s->tests, cap * sizeof(*t));

		if (!t) {
			fprintf(stderr, "suite: out of memory\n");
			abort();
		}
		s->tests = t;
		s->cap = cap;
	}
	s->tests[s->n++] = (struct CMUnitTest){ .name = name, .test_func = fn,
						.setup_func = setup, .teardown_func = teardown,
						.initial_state = (void *)state };
}

/* Rows of size sz, each named by its first member (a const char *). */
static inline void suite_rows_(struct suite *s, CMUnitTestFunction fn, const void *rows,
			       size_t sz, size_t n, CMFixtureFunction setup,
			       CMFixtureFunction teardown)
{
	for (size_t i = 0; i < n; i++) {
		const void *row = (const char *)rows + i * sz;

		suite_add(s, *(const char *const *)row, fn, row, setup, teardown);
	}
}

#define suite_test(s, f) suite_add(s, #f, f, NULL, NULL, NULL)
#define suite_test_setup_teardown(s, f, su, td) suite_add(s, #f, f, NULL, su, td)
#define suite_rows(s, fn, rows) \
	suite_rows_(s, fn, rows, sizeof((rows)[0]), CASES_LEN(rows), NULL, NULL)
#define suite_rows_setup_teardown(s, fn, rows, su, td) \
	suite_rows_(s, fn, rows, sizeof((rows)[0]), CASES_LEN(rows), su, td)

/* Runs the suite as one cmocka group, with group fixtures; returns the number of failed tests. */
static inline int suite_run_fixtures(struct suite *s, const char *group, CMFixtureFunction setup,
				     CMFixtureFunction teardown)
{
	int failed = _cmocka_run_group_tests(group, s->tests, s->n, setup, teardown);

	free(s->tests);
	s->tests = NULL;
	s->n = s->cap = 0;
	return failed;
}

/* Runs the suite as one cmocka group; returns the number of failed tests. */
static inline int suite_run(struct suite *s, const char *group)
{
	return suite_run_fixtures(s, group, NULL, NULL);
}

/* ---- checks that name what they were checking ---- */

static __attribute__((unused)) char case_ctx_buf[512];

#define case_ctx(...) snprintf(case_ctx_buf, sizeof(case_ctx_buf), __VA_ARGS__)

#define check_int(a, b) \
	do { \
		const LargestIntegralType a_ = (LargestIntegralType)(a); \
		const LargestIntegralType b_ = (LargestIntegralType)(b); \
		if (a_ != b_) \
			print_error("%s: %s is %lld (%#llx), want %lld (%#llx)\n", case_ctx_buf, #a, \
				    (long long)a_, (unsigned long long)a_, (long long)b_, \
				    (unsigned long long)b_); \
		assert_int_equal(a_, b_); \
	} while (0)

#define check_true(c) \
	do { \
		const int c_ = !!(c); \
		if (!c_) \
			print_error("%s: %s is false\n", case_ctx_buf, #c); \
		assert_true(c_); \
	} while (0)

#define check_false(c) \
	do { \
		const int c_ = !!(c); \
		if (c_) \
			print_error("%s: %s is true\n", case_ctx_buf, #c); \
		assert_false(c_); \
	} while (0)

#define check_str(a, b) \
	do { \
		const char *a_ = (a), *b_ = (b); \
		if (!a_ || !b_ || strcmp(a_, b_)) \
			print_error("%s: %s is \"%s\", want \"%s\"\n", case_ctx_buf, #a, \
				    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		if (!a_) \
			assert_non_null(a_); \
		else \
			assert_string_equal(a_, b_); \
	} while (0)

#define check_non_null(p) check_true((p) != NULL)
#define check_null(p) check_true((p) == NULL)

#endif /* GM_TEST_CASES_H */
