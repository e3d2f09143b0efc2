// SPDX-License-Identifier: MIT
/*
 * What a scenario run reports: a summary per run, the four policies side by
 * side with a verdict in plain words, and the same results as JSON
 * (docs/hugepfn-result.schema.json).
 */
#include <string.h>

#include "scenario.h"

static const char *status_word(const struct sc_result *r)
{
	switch (sc_status(r)) {
	case 0: return "pass";
	case 1: return "fail";
	default: return "error";
	}
}

static void format_result(char *buf, size_t len, long result)
{
	struct sc_value v = { .is_num = true, .num = result };
	FILE *f = fmemopen(buf, len, "w");

	if (!f) {
		snprintf(buf, len, "%ld", result);
		return;
	}
	sc_value_print(f, &v);
	fclose(f);
}

void sc_print_summary(FILE *out, const struct sc_script *script, const struct sc_result *r)
{
	fprintf(out, "%s under %s: %s -- %u/%u expectations met, %lu faults (pud %lu, pmd %lu, "
		"pte %lu), %lu violations, %lu verified ranges, %lu mismatches, leaks %lu pages\n",
		script->file, hp_policy_name(r->policy), status_word(r), r->expect_passed,
		r->expect_passed + r->expect_failed, r->faults, r->resolved_at[HP_LEVEL_PUD],
		r->resolved_at[HP_LEVEL_PMD], r->resolved_at[HP_LEVEL_PTE], r->violations,
		r->verified, r->mismatches, r->leaks.pages);
}

/* ---- compare ---------------------------------------------------------------- */

#define COL 18

static void row(FILE *out, const char *label, const char *cells[HP_NR_POLICIES])
{
	fprintf(out, "%-30s", label);
	for (int p = 0; p < HP_NR_POLICIES; p++)
		fprintf(out, " %-*s", COL, cells[p]);
	fputc('\n', out);
}

static void leaves_cell(char *buf, size_t len, const struct sc_result *r, enum hp_level level)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < HP_NR_KINDS; k++)
		if (r->leaves[level][k])
			n += snprintf(buf + n, len - n, "%s%lu %s", n ? ", " : "",
				      r->leaves[level][k], hp_entry_kind_name(k));
	if (!n)
		snprintf(buf, len, "-");
}

void sc_print_compare(FILE *out, const struct sc_script *script,
		      const struct sc_result r[HP_NR_POLICIES])
{
	char cells[HP_NR_POLICIES][64];
	const char *ptrs[HP_NR_POLICIES];
	char label[SC_NAME_MAX + 48];

	for (int p = 0; p < HP_NR_POLICIES; p++)
		ptrs[p] = cells[p];
	fprintf(out, "%s, under each design of the thread:\n\n%-30s", script->file, "");
	for (int p = 0; p < HP_NR_POLICIES; p++)
		fprintf(out, " %-*s", COL, hp_policy_name(p));
	fputc('\n', out);

	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%lu", r[p].faults);
	row(out, "faults", ptrs);
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%lu/%lu/%lu", r[p].resolved_at[HP_LEVEL_PUD],
			 r[p].resolved_at[HP_LEVEL_PMD], r[p].resolved_at[HP_LEVEL_PTE]);
	row(out, "  resolved at pud/pmd/pte", ptrs);
	for (int l = HP_LEVEL_PUD; l >= HP_LEVEL_PTE; l--) {
		for (int p = 0; p < HP_NR_POLICIES; p++)
			leaves_cell(cells[p], 64, &r[p], l);
		snprintf(label, sizeof(label), "%s entries (peak)", hp_level_name(l));
		row(out, label, ptrs);
	}
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%lu/%lu/%lu", r[p].tables[HP_TABLE_PUD],
			 r[p].tables[HP_TABLE_PMD], r[p].tables[HP_TABLE_PTE]);
	row(out, "tables pud/pmd/pte (peak)", ptrs);
	for (int g = 0; g < r[0].ngups; g++) {
		for (int p = 0; p < HP_NR_POLICIES; p++)
			if (g < r[p].ngups)
				format_result(cells[p], 64, r[p].gups[g].result);
			else
				snprintf(cells[p], 64, "-");
		snprintf(label, sizeof(label), "gup %s (%s)", r[0].gups[g].name, r[0].gups[g].how);
		row(out, label, ptrs);
	}
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%lu", r[p].violations);
	row(out, "violations", ptrs);
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%s", r[p].mismatches ? "CORRUPTED" :
			 r[p].verified ? "intact" : "-");
	row(out, "data", ptrs);
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%u/%u", r[p].expect_passed,
			 r[p].expect_passed + r[p].expect_failed);
	row(out, "expectations met", ptrs);
	for (int p = 0; p < HP_NR_POLICIES; p++)
		snprintf(cells[p], 64, "%s", status_word(&r[p]));
	row(out, "status", ptrs);
}

/* One sentence per policy: what happened, in the thread's terms. */
void sc_print_verdicts(FILE *out, const struct sc_result r[HP_NR_POLICIES])
{
	fputc('\n', out);
	for (int p = 0; p < HP_NR_POLICIES; p++) {
		const struct sc_result *x = &r[p];
		unsigned long huge = 0;

		for (int k = 0; k < HP_NR_KINDS; k++)
			huge += x->leaves[HP_LEVEL_PUD][k] + x->leaves[HP_LEVEL_PMD][k];
		fprintf(out, "%-8s ", hp_policy_name(p));
		if (x->script_error) {
			fprintf(out, "the scenario stopped on an error.\n");
		} else if (x->violations) {
			const struct hp_violation *v = &x->first_violation;

			if (strstr(v->what, "no struct page"))
				fprintf(out, "UNSAFE: %s took a reference on pfn 0x%lx, which has no "
					"struct page (%s level)", v->op, v->pfn, hp_level_name(v->level));
			else
				fprintf(out, "UNSAFE: %s: %s, pfn 0x%lx", v->op, v->what, v->pfn);
			fprintf(out, "; %lu violation%s%s.\n", x->violations,
				x->violations == 1 ? "" : "s",
				x->mismatches ? ", and data was corrupted" : "");
		} else if (x->mismatches) {
			fprintf(out, "data was corrupted without a violation being caught.\n");
		} else if (!huge) {
			fprintf(out, "safe, but slow: no huge entry, %lu faults for what the others "
				"map with %lu.\n", x->faults, r[HP_POLICY_SPECIAL].faults);
		} else {
			fprintf(out, "safe: %lu huge entr%s, gup-fast refused them, nothing pinned "
				"that is not pinnable%s.\n", huge, huge == 1 ? "y" : "ies",
				p == HP_POLICY_DEVMAP ? " -- but only because gup-fast still asks "
				"get_dev_pagemap(), which the thread was removing" : "");
		}
	}
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void sc_print_json(FILE *out, const struct sc_script *script, const struct sc_result *r)
{
	static const char *const levels[] = { "pte", "pmd", "pud" };

	fprintf(out, "{\"scenario\":");
	json_string(out, script->file);
	fprintf(out, ",\"policy\":\"%s\",\"status\":\"%s\"", hp_policy_name(r->policy), status_word(r));
	fprintf(out, ",\"expectations\":{\"passed\":%u,\"failed\":%u}", r->expect_passed,
		r->expect_failed);
	fprintf(out, ",\"faults\":{\"total\":%lu,\"pud\":%lu,\"pmd\":%lu,\"pte\":%lu,"
		"\"fallback_pud\":%lu,\"fallback_pmd\":%lu}", r->faults,
		r->resolved_at[HP_LEVEL_PUD], r->resolved_at[HP_LEVEL_PMD],
		r->resolved_at[HP_LEVEL_PTE], r->fallback[HP_LEVEL_PUD], r->fallback[HP_LEVEL_PMD]);
	fprintf(out, ",\"entries\":{");
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++)
		fprintf(out, "%s\"%s\":{\"normal\":%lu,\"special\":%lu,\"devmap\":%lu}",
			l == HP_LEVEL_PTE ? "" : ",", levels[l - 1], r->leaves[l][HP_KIND_NORMAL],
			r->leaves[l][HP_KIND_SPECIAL], r->leaves[l][HP_KIND_DEVMAP]);
	fprintf(out, "},\"tables\":{\"pgd\":%lu,\"pud\":%lu,\"pmd\":%lu,\"pte\":%lu}",
		r->tables[HP_TABLE_PGD], r->tables[HP_TABLE_PUD], r->tables[HP_TABLE_PMD],
		r->tables[HP_TABLE_PTE]);
	fprintf(out, ",\"gup\":[");
	for (int g = 0; g < r->ngups; g++) {
		char res[32];

		format_result(res, sizeof(res), r->gups[g].result);
		fprintf(out, "%s{\"name\":", g ? "," : "");
		json_string(out, r->gups[g].name);
		fprintf(out, ",\"how\":");
		json_string(out, r->gups[g].how);
		fprintf(out, ",\"result\":%ld,\"result_text\":", r->gups[g].result);
		json_string(out, res);
		fputc('}', out);
	}
	fprintf(out, "],\"violations\":{\"count\":%lu,\"expected\":%s", r->violations,
		r->violations_expected ? "true" : "false");
	if (r->violations) {
		fprintf(out, ",\"first\":{\"pfn\":%lu,\"level\":\"%s\",\"op\":", r->first_violation.pfn,
			hp_level_name(r->first_violation.level));
		json_string(out, r->first_violation.op);
		fprintf(out, ",\"what\":");
		json_string(out, r->first_violation.what);
		fputc('}', out);
	}
	fprintf(out, "},\"data\":{\"verified\":%lu,\"mismatches\":%lu}", r->verified, r->mismatches);
	fprintf(out, ",\"leaks\":{\"pages\":%lu,\"pgmap_refs\":%lu}", r->leaks.pages,
		r->leaks.pgmap_refs);
	if (script->fail_site >= 0)
		fprintf(out, ",\"fault_injection\":{\"site\":\"%s\",\"nth\":%lu,\"fired\":%s}",
			hp_fail_site_name(script->fail_site), script->fail_nth,
			r->fail_fired ? "true" : "false");
	fputs("}\n", out);
}
