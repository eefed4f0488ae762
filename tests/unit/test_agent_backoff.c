/*
 * test_agent_backoff.c: exponential backoff with equal jitter.
 */
#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "../../agent/backoff.h"

START_TEST(doubles_up_to_the_cap)
{
	/* rnd equal to half the delay gives the nominal delay itself. */
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 0, 500), 1000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 1, 1000), 2000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 2, 2000), 4000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 5, 16000), 32000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 6, 30000), 60000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 1000, 30000), 60000);
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, UINT32_MAX, 30000),
	                  60000);
}
END_TEST

START_TEST(jitter_stays_in_upper_half)
{
	unsigned attempt, d, nominal;
	uint32_t rnd;

	for (attempt = 0; attempt < 12; attempt++) {
		nominal = 1000u << (attempt < 8 ? attempt : 8);
		if (nominal > 120000)
			nominal = 120000;
		for (rnd = 0; rnd < 5000; rnd += 7) {
			d = backoff_delay_ms(1000, 120000, attempt,
			                     rnd * 2654435761u);
			ck_assert_uint_ge(d, nominal - nominal / 2);
			ck_assert_uint_le(d, nominal);
		}
	}
	/* rnd 0 gives the lower bound. */
	ck_assert_uint_eq(backoff_delay_ms(1000, 60000, 3, 0), 4000);
}
END_TEST

START_TEST(cap_below_base)
{
	struct backoff b;

	ck_assert_uint_eq(backoff_delay_ms(5000, 10, 3, 0), 2500);
	backoff_init(&b, 0, 0);
	ck_assert_uint_eq(b.base_ms, 1);
	ck_assert_uint_eq(b.cap_ms, 1);
	ck_assert_uint_eq(backoff_fail(&b), 1);
}
END_TEST

START_TEST(fail_and_reset)
{
	struct backoff b;
	unsigned i, d, prev_max = 0;

	backoff_init(&b, 100, 1600);
	for (i = 0; i < 10; i++) {
		d = backoff_fail(&b);
		ck_assert_uint_ge(d, 50);
		ck_assert_uint_le(d, 1600);
		if (i >= 4)
			ck_assert_uint_ge(d, 800);
		prev_max = d > prev_max ? d : prev_max;
	}
	ck_assert_uint_eq(b.attempts, 10);
	backoff_reset(&b);
	ck_assert_uint_eq(b.attempts, 0);
	d = backoff_fail(&b);
	ck_assert_uint_ge(d, 50);
	ck_assert_uint_le(d, 100);
	ck_assert_uint_gt(prev_max, 0);
}
END_TEST

START_TEST(random_varies)
{
	uint32_t a = backoff_random(), b = backoff_random(),
	         c = backoff_random();

	ck_assert(a != b || b != c);
}
END_TEST

static Suite *
backoff_suite(void)
{
	Suite *s = suite_create("agent_backoff");
	TCase *tc = tcase_create("backoff");

	tcase_add_test(tc, doubles_up_to_the_cap);
	tcase_add_test(tc, jitter_stays_in_upper_half);
	tcase_add_test(tc, cap_below_base);
	tcase_add_test(tc, fail_and_reset);
	tcase_add_test(tc, random_varies);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backoff_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
