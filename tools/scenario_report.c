// SPDX-License-Identifier: MIT
/*
 * What a scenario run reports: a summary per run, the four policies side by
 * side with a verdict in plain words, and the same results as JSON
 * (docs/hugepfn-result.schema.json).
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
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
	sc_value_text(buf, len, &(struct sc_value){ .is_num = true, .num = result });
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

#define CELL 64

/* The table, built first so that every column is as wide as its widest cell. */
struct table {
	int nrows, cap;
	struct table_row { char label[SC_NAME_MAX + 48]; char cell[HP_NR_POLICIES][CELL]; } *rows;
};

static struct table_row *add_row(struct table *t, const char *label)
{
	struct table_row *r;

	if (t->nrows == t->cap) {
		int cap = t->cap ? 2 * t->cap : 32;
		struct table_row *rows = realloc(t->rows, (size_t)cap * sizeof(*rows));

		if (!rows)
			return NULL;
		t->rows = rows;
		t->cap = cap;
	}
	r = &t->rows[t->nrows++];
	snprintf(r->label, sizeof(r->label), "%s", label);
	return r;
}

static void print_table(FILE *out, const struct table *t)
{
	int lw = 0, cw[HP_NR_POLICIES];

	for (int p = 0; p < HP_NR_POLICIES; p++)
		cw[p] = (int)strlen(hp_policy_name(p));
	for (int i = 0; i < t->nrows; i++) {
		int n = (int)strlen(t->rows[i].label);

		lw = n > lw ? n : lw;
		for (int p = 0; p < HP_NR_POLICIES; p++) {
			n = (int)strlen(t->rows[i].cell[p]);
			cw[p] = n > cw[p] ? n : cw[p];
		}
	}
	fprintf(out, "%-*s", lw, "");
	for (int p = 0; p < HP_NR_POLICIES; p++)
		fprintf(out, "  %-*s", p == HP_NR_POLICIES - 1 ? 0 : cw[p], hp_policy_name(p));
	fputc('\n', out);
	for (int i = 0; i < t->nrows; i++) {
		fprintf(out, "%-*s", lw, t->rows[i].label);
		for (int p = 0; p < HP_NR_POLICIES; p++)
			fprintf(out, "  %-*s", p == HP_NR_POLICIES - 1 ? 0 : cw[p], t->rows[i].cell[p]);
		fputc('\n', out);
	}
}

static void leaves_cell(char *buf, size_t len, const struct sc_result *r, enum hp_level level)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int k = 0; k < HP_NR_KINDS && n < len; k++)
		if (r->leaves[level][k])
			n += snprintf(buf + n, len - n, "%s%lu %s", n ? ", " : "",
				      r->leaves[level][k], hp_entry_kind_name(k));
	if (!n)
		snprintf(buf, len, "-");
}

#define EACH_POLICY(row, ...) do {						\
	if (row)								\
		for (int p = 0; p < HP_NR_POLICIES; p++)			\
			snprintf((row)->cell[p], CELL, __VA_ARGS__);		\
} while (0)

void sc_print_compare(FILE *out, const struct sc_script *script,
		      const struct sc_result r[HP_NR_POLICIES])
{
	struct table t = { 0 };
	struct table_row *row;
	char label[SC_NAME_MAX + 48];

	row = add_row(&t, "faults");
	EACH_POLICY(row, "%lu", r[p].faults);
	row = add_row(&t, "  resolved at pud/pmd/pte");
	EACH_POLICY(row, "%lu/%lu/%lu", r[p].resolved_at[HP_LEVEL_PUD],
		    r[p].resolved_at[HP_LEVEL_PMD], r[p].resolved_at[HP_LEVEL_PTE]);
	for (int l = HP_LEVEL_PUD; l >= HP_LEVEL_PTE; l--) {
		snprintf(label, sizeof(label), "%s entries (peak)", hp_level_name(l));
		if ((row = add_row(&t, label)))
			for (int p = 0; p < HP_NR_POLICIES; p++)
				leaves_cell(row->cell[p], CELL, &r[p], l);
	}
	row = add_row(&t, "tables pud/pmd/pte (peak)");
	EACH_POLICY(row, "%lu/%lu/%lu", r[p].tables[HP_TABLE_PUD], r[p].tables[HP_TABLE_PMD],
		    r[p].tables[HP_TABLE_PTE]);
	for (int g = 0; g < r[0].ngups; g++) {
		snprintf(label, sizeof(label), "gup %s (%s)", r[0].gups[g].name, r[0].gups[g].how);
		if (!(row = add_row(&t, label)))
			break;
		for (int p = 0; p < HP_NR_POLICIES; p++)
			if (g < r[p].ngups)
				format_result(row->cell[p], CELL, r[p].gups[g].result);
			else
				snprintf(row->cell[p], CELL, "-");
	}
	row = add_row(&t, "violations");
	EACH_POLICY(row, "%lu", r[p].violations);
	row = add_row(&t, "data");
	EACH_POLICY(row, "%s", r[p].mismatches ? "CORRUPTED" : r[p].verified ? "intact" : "-");
	row = add_row(&t, "expectations met");
	EACH_POLICY(row, "%u/%u", r[p].expect_passed, r[p].expect_passed + r[p].expect_failed);
	row = add_row(&t, "status");
	EACH_POLICY(row, "%s", status_word(&r[p]));
	fprintf(out, "%s, under each design of the thread:\n\n", script->file);
	print_table(out, &t);
	free(t.rows);
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
		} else if (!x->ngups) {
			fprintf(out, "safe: %lu huge entr%s, and no GUP ran to try them.\n", huge,
				huge == 1 ? "y" : "ies");
		} else {
			fprintf(out, "safe: %lu huge entr%s, GUP took nothing that is not "
				"pinnable%s.\n", huge, huge == 1 ? "y" : "ies",
				p == HP_POLICY_DEVMAP ? " -- but only because gup-fast still asks "
				"get_dev_pagemap(), which the thread was removing" : "");
		}
	}
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_violation(FILE *out, const struct hp_violation *v)
{
	fprintf(out, "{\"pfn\":%lu,\"level\":\"%s\",\"op\":", v->pfn, hp_level_name(v->level));
	sc_json_string(out, v->op);
	fprintf(out, ",\"what\":");
	sc_json_string(out, v->what);
	fputc('}', out);
}

void sc_print_json(FILE *out, const struct sc_script *script, const struct sc_result *r)
{
	fprintf(out, "{\"scenario\":");
	sc_json_string(out, script->file);
	fprintf(out, ",\"policy\":\"%s\",\"status\":\"%s\"", hp_policy_name(r->policy), status_word(r));
	fprintf(out, ",\"expectations\":{\"passed\":%u,\"failed\":%u}", r->expect_passed,
		r->expect_failed);
	fprintf(out, ",\"faults\":{\"total\":%lu,\"pud\":%lu,\"pmd\":%lu,\"pte\":%lu,"
		"\"fallback_pud\":%lu,\"fallback_pmd\":%lu}", r->faults,
		r->resolved_at[HP_LEVEL_PUD], r->resolved_at[HP_LEVEL_PMD],
		r->resolved_at[HP_LEVEL_PTE], r->fallback[HP_LEVEL_PUD], r->fallback[HP_LEVEL_PMD]);
	fprintf(out, ",\"entries\":{");
	for (int l = HP_LEVEL_PTE; l <= HP_LEVEL_PUD; l++) {
		fprintf(out, "%s\"%s\":{", l == HP_LEVEL_PTE ? "" : ",", hp_level_name(l));
		for (int k = 0; k < HP_NR_KINDS; k++)
			fprintf(out, "%s\"%s\":%lu", k ? "," : "", hp_entry_kind_name(k),
				r->leaves[l][k]);
		fputc('}', out);
	}
	fprintf(out, "},\"tables\":{");
	for (int t = 0; t < HP_NR_TABLE_LEVELS; t++)
		fprintf(out, "%s\"%s\":%lu", t ? "," : "", sc_table_word(t), r->tables[t]);
	fputc('}', out);
	fprintf(out, ",\"gup\":[");
	for (int g = 0; g < r->ngups; g++) {
		char res[32];

		format_result(res, sizeof(res), r->gups[g].result);
		fprintf(out, "%s{\"name\":", g ? "," : "");
		sc_json_string(out, r->gups[g].name);
		fprintf(out, ",\"how\":");
		sc_json_string(out, r->gups[g].how);
		fprintf(out, ",\"result\":%ld,\"result_text\":", r->gups[g].result);
		sc_json_string(out, res);
		fputc('}', out);
	}
	fprintf(out, "],\"violations\":{\"count\":%lu,\"expected\":%s", r->violations,
		r->violations_expected ? "true" : "false");
	if (r->violations) {
		fprintf(out, ",\"first\":");
		json_violation(out, &r->first_violation);
	}
	fprintf(out, ",\"list\":[");
	for (unsigned long i = 0; i < r->nviolations_listed; i++) {
		if (i)
			fputc(',', out);
		json_violation(out, &r->violation_list[i]);
	}
	fprintf(out, "]");
	fprintf(out, "},\"failed_expectations\":[");
	for (int i = 0; i < r->nfailed; i++) {
		const struct sc_failed_expect *f = &r->failed[i];

		fprintf(out, "%s{\"line\":%u,\"key\":", i ? "," : "", f->line);
		sc_json_string(out, f->key);
		fprintf(out, ",\"op\":");
		sc_json_string(out, f->op);
		fprintf(out, ",\"expected\":");
		sc_json_string(out, f->expected);
		fprintf(out, ",\"actual\":");
		sc_json_string(out, f->actual);
		fputc('}', out);
	}
	fprintf(out, "]");
	if (r->script_error) {
		fprintf(out, ",\"error\":");
		sc_json_string(out, r->error);
	}
	if (r->shown) {
		fprintf(out, ",\"shown\":");
		sc_json_string(out, r->shown);
	}
	fprintf(out, ",\"data\":{\"verified\":%lu,\"mismatches\":%lu}", r->verified, r->mismatches);
	fprintf(out, ",\"leaks\":{\"pages\":%lu,\"pgmap_refs\":%lu}", r->leaks.pages,
		r->leaks.pgmap_refs);
	if (script->fail_site >= 0)
		fprintf(out, ",\"fault_injection\":{\"site\":\"%s\",\"nth\":%lu,\"fired\":%s}",
			hp_fail_site_name(script->fail_site), script->fail_nth,
			r->fail_fired ? "true" : "false");
	fputs("}\n", out);
}
