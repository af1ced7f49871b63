// GLUE readers: each of the nine layouts (train/dev/test) read as HF's glue_processors read them,
// the task registry, the TSV details (quotes, line endings, BOM) and every bad input's message.
#include <gtest/gtest.h>

#include <functional>

#include <bertology/bertology/glue.h>
#include <bertology/bertology/tsv.h>
#include <bertology/tensor/error.h>

#include "scratch_dir.h"

using namespace bertology;
using bertology::workflow_testing::ScratchDir;

namespace {

void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& needle : needles)
      EXPECT_NE(message.find(needle), std::string::npos)
          << "message '" << message << "' lacks '" << needle << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
  }
}

std::vector<GlueExample> read(const ScratchDir& dir, const std::string& task, GlueSplit split) {
  return read_glue_examples(glue_task(task), dir.path(), split);
}

}  // namespace

// ---- the nine layouts ----------------------------------------------------------------------

TEST(GlueReader, ColaHasNoHeaderExceptInTest) {
  ScratchDir dir;
  dir.write("train.tsv",
            "gj04\t1\t\tOur friends won't buy this analysis, let alone the next one we propose.\n"
            "gj04\t0\t*\tOne more pseudo generalization and I'm giving up.\n");
  dir.write("test.tsv", "index\tsentence\n0\tBill whistled past the house.\n1\tThe car honked.\n");
  const auto train = read(dir, "cola", GlueSplit::Train);
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train[0].guid, "train-0");
  EXPECT_EQ(train[0].text_a,
            "Our friends won't buy this analysis, let alone the next one we propose.");
  EXPECT_FALSE(train[0].text_b.has_value());
  EXPECT_EQ(train[0].label, "1");
  EXPECT_EQ(train[0].label_index, 1);
  EXPECT_EQ(train[1].guid, "train-1");
  EXPECT_EQ(train[1].label_index, 0);

  const auto test = read(dir, "cola", GlueSplit::Test);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[0].guid, "test-0");  // HF drops the header, then counts from 0
  EXPECT_EQ(test[1].text_a, "The car honked.");
  EXPECT_FALSE(test[1].label.has_value());
  EXPECT_EQ(test[1].label_index, -1);
}

TEST(GlueReader, Sst2) {
  ScratchDir dir;
  dir.write("dev.tsv", "sentence\tlabel\nit 's a charming and often affecting journey . \t1\n"
                       "unflinchingly bleak and desperate \t0\n");
  dir.write("test.tsv", "index\tsentence\n0\tuneasy mishmash of styles and genres .\n");
  const auto dev = read(dir, "sst-2", GlueSplit::Dev);
  ASSERT_EQ(dev.size(), 2u);
  EXPECT_EQ(dev[0].guid, "dev-1");  // HF numbers rows by their line index (header = 0)
  EXPECT_EQ(dev[0].text_a, "it 's a charming and often affecting journey . ");  // kept as is
  EXPECT_EQ(dev[0].label_index, 1);
  EXPECT_EQ(dev[1].guid, "dev-2");
  EXPECT_EQ(dev[1].label_index, 0);
  const auto test = read(dir, "sst2", GlueSplit::Test);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].guid, "test-1");
  EXPECT_EQ(test[0].text_a, "uneasy mishmash of styles and genres .");
}

TEST(GlueReader, MrpcKeepsQuotesLiteral) {
  ScratchDir dir;
  dir.write("train.tsv",
            "\xEF\xBB\xBFQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
            "1\t702876\t702977\tAmrozi accused his brother , whom he called \" the witness \" , "
            "of deliberately distorting his evidence .\tReferring to him as only \" the witness "
            "\" , Amrozi accused his brother of deliberately distorting his evidence .\n"
            "0\t2108705\t2108831\tYucaipa owned Dominick 's before selling the chain to Safeway in "
            "1998 for $ 2.5 billion .\tYucaipa bought Dominick 's in 1995 for $ 693 million and "
            "sold it to Safeway for $ 1.8 billion in 1998 .\n");
  dir.write("test.tsv", "index\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                        "0\t1089874\t1089925\t\"PCCW 's chief\tCurrent Chief Operating Officer\n");
  const auto train = read(dir, "mrpc", GlueSplit::Train);
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train[0].guid, "train-1");
  EXPECT_EQ(train[0].text_a, "Amrozi accused his brother , whom he called \" the witness \" , "
                             "of deliberately distorting his evidence .");
  EXPECT_EQ(train[0].text_b.value(), "Referring to him as only \" the witness \" , Amrozi accused "
                                     "his brother of deliberately distorting his evidence .");
  EXPECT_EQ(train[0].label_index, 1);
  EXPECT_EQ(train[1].label_index, 0);
  const auto test = read(dir, "MRPC", GlueSplit::Test);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].text_a, "\"PCCW 's chief");  // an unbalanced quote is just a character
  EXPECT_EQ(test[0].text_b.value(), "Current Chief Operating Officer");
}

TEST(GlueReader, StsbScoreIsAFloat) {
  ScratchDir dir;
  const std::string header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\t"
                             "sentence1\tsentence2";
  dir.write("dev.tsv", header + "\tscore\n"
            "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard hat is "
            "dancing.\tA man wearing a hard hat is dancing.\t5.000\n"
            "1\tmain-captions\tMSRvid\t2012test\t0002\tnone\tnone\tA young child is riding a "
            "horse.\tA child is riding a horse.\t4.750\n"
            "7\tmain-news\theadlines\t2015\t0001\tnone\tnone\tA\tB\t0.5e1\n");
  dir.write("test.tsv", header + "\n0\tmain-captions\tMSRvid\t2012test\t0024\tnone\tnone\t"
                                 "A girl is styling her hair.\tA girl is brushing her hair.\n");
  const GlueTask& task = glue_task("sts-b");
  EXPECT_EQ(task.output_mode, OutputMode::Regression);
  const auto dev = read(dir, "stsb", GlueSplit::Dev);
  ASSERT_EQ(dev.size(), 3u);
  EXPECT_EQ(dev[0].guid, "dev-0");
  EXPECT_EQ(dev[0].text_a, "A man with a hard hat is dancing.");
  EXPECT_EQ(dev[0].text_b.value(), "A man wearing a hard hat is dancing.");
  EXPECT_EQ(dev[0].label.value(), "5.000");
  EXPECT_DOUBLE_EQ(dev[0].score, 5.0);
  EXPECT_EQ(dev[0].label_index, -1);
  EXPECT_DOUBLE_EQ(dev[1].score, 4.75);
  EXPECT_EQ(dev[2].guid, "dev-7");
  EXPECT_DOUBLE_EQ(dev[2].score, 5.0);
  const auto test = read(dir, "sts-b", GlueSplit::Test);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].text_b.value(), "A girl is brushing her hair.");
  EXPECT_FALSE(test[0].label.has_value());
}

TEST(GlueReader, Qqp) {
  ScratchDir dir;
  dir.write("train.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n"
                         "133273\t213221\t213222\tHow is the life of a math student?\tWhich "
                         "level of prepration is enough for the exam jlpt5?\t0\n"
                         "402555\t536040\t536041\tHow do I control my horny emotions?\tHow do "
                         "you control your horniness?\t1\n");
  dir.write("test.tsv", "id\tquestion1\tquestion2\n0\tWould the idea of Trump and Putin in "
                        "bed together scare you?\tDo you think that if Donald Trump were "
                        "elected President?\n");
  const auto train = read(dir, "qqp", GlueSplit::Train);
  ASSERT_EQ(train.size(), 2u);
  EXPECT_EQ(train[0].guid, "train-133273");
  EXPECT_EQ(train[0].text_a, "How is the life of a math student?");
  EXPECT_EQ(train[1].label_index, 1);
  const auto test = read(dir, "qqp", GlueSplit::Test);
  EXPECT_EQ(test[0].guid, "test-0");
  EXPECT_EQ(test[0].text_a, "Would the idea of Trump and Putin in bed together scare you?");
}

TEST(GlueReader, MnliMatchedAndMismatched) {
  ScratchDir dir;
  const std::string parses = "\t( ( a ) )\t( ( b ) )\t(ROOT a)\t(ROOT b)";
  dir.write("train.tsv", "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
            "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\t"
            "label1\tgold_label\n"
            "0\t31193\t31193n\tgovernment" + parses + "\tConceptually cream skimming has two "
            "basic dimensions.\tProduct and geography are what make cream skimming work. \t"
            "neutral\tneutral\n");
  const std::string dev_header = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
      "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\t"
      "label2\tlabel3\tlabel4\tlabel5\tgold_label\n";
  dir.write("dev_matched.tsv", dev_header + "0\t63735\t63735n\tslate" + parses +
            "\tThe new rights are nice enough\tEveryone really likes the newest benefits \t"
            "neutral\tentailment\tneutral\tneutral\tneutral\tneutral\n"
            "1\t91383\t91383c\tgovernment" + parses + "\tThis site includes a list\tThe Government "
            "Executive articles\tcontradiction\tcontradiction\tcontradiction\tcontradiction\t"
            "contradiction\tcontradiction\n");
  dir.write("dev_mismatched.tsv", dev_header + "0\t75290\t75290c\tletters" + parses +
            "\tYour contribution helped\tYour contributions were of no help\tcontradiction\t"
            "contradiction\tcontradiction\tcontradiction\tcontradiction\tcontradiction\n"
            "5\t98868\t98868e\tverbatim" + parses + "\tA\tB\tentailment\tentailment\tentailment"
            "\tentailment\tentailment\tentailment\n");
  dir.write("test_matched.tsv", "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\t"
            "sentence2_binary_parse\tsentence1_parse\tsentence2_parse\tsentence1\tsentence2\n"
            "0\t31349\t31349\tgovernment" + parses + "\tHierbas, ans seco\tThis is a bit\n");

  const GlueTask& mnli = glue_task("mnli");
  EXPECT_EQ(mnli.labels, (std::vector<std::string>{"contradiction", "entailment", "neutral"}));
  const auto train = read(dir, "mnli", GlueSplit::Train);
  ASSERT_EQ(train.size(), 1u);
  EXPECT_EQ(train[0].guid, "train-0");
  EXPECT_EQ(train[0].text_a, "Conceptually cream skimming has two basic dimensions.");
  EXPECT_EQ(train[0].text_b.value(), "Product and geography are what make cream skimming work. ");
  EXPECT_EQ(train[0].label_index, 2);

  const auto matched = read(dir, "mnli", GlueSplit::Dev);
  ASSERT_EQ(matched.size(), 2u);
  EXPECT_EQ(matched[0].guid, "dev_matched-0");
  EXPECT_EQ(matched[0].label.value(), "neutral");  // gold_label, the last column
  EXPECT_EQ(matched[1].label_index, 0);

  const auto mismatched = read(dir, "mnli-mm", GlueSplit::Dev);
  ASSERT_EQ(mismatched.size(), 2u);
  EXPECT_EQ(mismatched[0].guid, "dev_mismatched-0");
  EXPECT_EQ(mismatched[0].text_a, "Your contribution helped");
  EXPECT_EQ(mismatched[1].guid, "dev_mismatched-5");
  EXPECT_EQ(mismatched[1].label_index, 1);
  EXPECT_EQ(read(dir, "mnli-mm", GlueSplit::Train).size(), 1u);  // the same train.tsv

  const auto test = read(dir, "mnli", GlueSplit::Test);
  ASSERT_EQ(test.size(), 1u);
  EXPECT_EQ(test[0].guid, "test_matched-0");
  EXPECT_EQ(test[0].text_b.value(), "This is a bit");
  expect_error([&] { read(dir, "mnli-mm", GlueSplit::Test); }, {"test_mismatched.tsv"});
}

TEST(GlueReader, QnliRteWnli) {
  ScratchDir dir;
  dir.write("dev.tsv", "index\tquestion\tsentence\tlabel\n"
                       "0\tWhat came into force after the new constitution was herald?\tAs of "
                       "that day, the new constitution heralding the Second Republic came into "
                       "force.\tentailment\n"
                       "1\tWhat is the first major city in the stream of the Rhine?\tThe most "
                       "important tributaries in this area are the Ill below of Strasbourg\t"
                       "not_entailment\n");
  const auto qnli = read(dir, "qnli", GlueSplit::Dev);
  ASSERT_EQ(qnli.size(), 2u);
  EXPECT_EQ(qnli[0].guid, "dev-0");
  EXPECT_EQ(qnli[0].text_a, "What came into force after the new constitution was herald?");
  EXPECT_EQ(qnli[0].label_index, 0);
  EXPECT_EQ(qnli[1].label_index, 1);

  ScratchDir rte_dir;
  rte_dir.write("train.tsv", "index\tsentence1\tsentence2\tlabel\n"
                             "0\tNo Weapons of Mass Destruction Found in Iraq Yet.\tWeapons of "
                             "Mass Destruction Found in Iraq.\tnot_entailment\n");
  rte_dir.write("test.tsv", "index\tsentence1\tsentence2\n0\tMangla was summoned\tMangla "
                            "was summoned after Madhumita's sister\n");
  const auto rte = read(rte_dir, "rte", GlueSplit::Train);
  EXPECT_EQ(rte[0].text_b.value(), "Weapons of Mass Destruction Found in Iraq.");
  EXPECT_EQ(rte[0].label_index, 1);
  EXPECT_EQ(read(rte_dir, "rte", GlueSplit::Test)[0].text_a, "Mangla was summoned");

  ScratchDir wnli_dir;
  wnli_dir.write("train.tsv", "index\tsentence1\tsentence2\tlabel\n"
                              "0\tI stuck a pin through a carrot.\tThe carrot had a hole.\t1\n"
                              "1\tJohn couldn't see the stage.\tJohn is so tall.\t0\n");
  const auto wnli = read(wnli_dir, "wnli", GlueSplit::Train);
  ASSERT_EQ(wnli.size(), 2u);
  EXPECT_EQ(wnli[0].label_index, 1);
  EXPECT_EQ(wnli[1].label_index, 0);
  EXPECT_EQ(wnli[1].guid, "train-1");
}

// ---- the registry --------------------------------------------------------------------------

TEST(GlueTasks, RegistryMatchesHuggingFace) {
  EXPECT_EQ(glue_task_names(), (std::vector<std::string>{"cola", "sst-2", "mrpc", "sts-b", "qqp",
                                                         "mnli", "mnli-mm", "qnli", "rte",
                                                         "wnli"}));
  struct Expected {
    const char* name;
    int64_t num_labels;
    const char* default_metric;
  };
  for (const Expected& e : {Expected{"cola", 2, "mcc"}, Expected{"sst-2", 2, "acc"},
                            Expected{"mrpc", 2, "acc_and_f1"}, Expected{"sts-b", 1, "corr"},
                            Expected{"qqp", 2, "acc_and_f1"}, Expected{"mnli", 3, "acc"},
                            Expected{"mnli-mm", 3, "acc"}, Expected{"qnli", 2, "acc"},
                            Expected{"rte", 2, "acc"}, Expected{"wnli", 2, "acc"}}) {
    const GlueTask& task = glue_task(e.name);
    EXPECT_EQ(task.name, e.name);
    EXPECT_EQ(task.num_labels(), e.num_labels) << e.name;
    EXPECT_EQ(task.default_metric, e.default_metric) << e.name;
    EXPECT_EQ(task.output_mode, std::string(e.name) == "sts-b" ? OutputMode::Regression
                                                               : OutputMode::Classification);
  }
  EXPECT_EQ(glue_task("qnli").labels, (std::vector<std::string>{"entailment", "not_entailment"}));
  EXPECT_EQ(glue_task("rte").labels, (std::vector<std::string>{"entailment", "not_entailment"}));
  EXPECT_EQ(glue_task("mrpc").metric_names, (std::vector<std::string>{"acc", "f1", "acc_and_f1"}));
  EXPECT_EQ(glue_task("sts-b").metric_names,
            (std::vector<std::string>{"pearson", "spearmanr", "corr"}));
  EXPECT_EQ(&glue_task("SST2"), &glue_task("sst-2"));
  EXPECT_EQ(&glue_task("STS-B"), &glue_task("stsb"));
  EXPECT_EQ(glue_task("mnli").file_name(GlueSplit::Dev), "dev_matched.tsv");
  EXPECT_EQ(glue_task("mnli-mm").file_name(GlueSplit::Dev), "dev_mismatched.tsv");
  EXPECT_EQ(glue_task("rte").file_name(GlueSplit::Train), "train.tsv");
  EXPECT_EQ(glue_file_path(glue_task("cola"), "/data/CoLA/", GlueSplit::Dev), "/data/CoLA/dev.tsv");
  EXPECT_EQ(glue_file_path(glue_task("cola"), "/data/CoLA", GlueSplit::Test), "/data/CoLA/test.tsv");
  expect_error([] { glue_task("squad"); }, {"unknown GLUE task 'squad'", "cola", "mnli-mm"});
}

TEST(GlueTasks, MinimumColumnCounts) {
  EXPECT_EQ(glue_task("cola").labelled_columns.min_columns(), 4);
  EXPECT_EQ(glue_task("cola").test_columns.min_columns(), 2);
  EXPECT_EQ(glue_task("sst-2").labelled_columns.min_columns(), 2);
  EXPECT_EQ(glue_task("mrpc").labelled_columns.min_columns(), 5);
  EXPECT_EQ(glue_task("sts-b").labelled_columns.min_columns(), 10);
  EXPECT_EQ(glue_task("sts-b").test_columns.min_columns(), 9);
  EXPECT_EQ(glue_task("qqp").labelled_columns.min_columns(), 6);
  EXPECT_EQ(glue_task("qqp").test_columns.min_columns(), 3);
  EXPECT_EQ(glue_task("mnli").labelled_columns.min_columns(), 11);
  EXPECT_EQ(glue_task("mnli").test_columns.min_columns(), 10);
  EXPECT_EQ(glue_task("qnli").labelled_columns.min_columns(), 4);
}

// ---- TSV details ---------------------------------------------------------------------------

TEST(Tsv, LineEndingsBomEmptyFieldsAndQuotes) {
  ScratchDir dir;
  const std::string path = dir.write("a.tsv", "\xEF\xBB\xBF" "a\tb\r\nc\t\"d\te\"\rf\t\n\ng");
  const std::vector<TsvRow> rows = read_tsv(path);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a", "b"}));  // BOM dropped, \r\n ends
  EXPECT_EQ(rows[1].fields, (std::vector<std::string>{"c", "\"d", "e\""}));  // quotes literal
  EXPECT_EQ(rows[2].line_number, 3);  // a lone \r ends a line too
  EXPECT_EQ(rows[2].fields, (std::vector<std::string>{"f", ""}));
  EXPECT_TRUE(rows[3].fields.empty());
  EXPECT_EQ(rows[4].fields, (std::vector<std::string>{"g"}));  // no final newline needed
  EXPECT_TRUE(read_tsv(dir.write("empty.tsv", "")).empty());
}

TEST(Tsv, Utf8Validation) {
  EXPECT_EQ(find_invalid_utf8("plain ascii"), -1);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80"), -1);  // é 中 😀
  EXPECT_EQ(find_invalid_utf8("ab\xFF"), 2);
  EXPECT_EQ(find_invalid_utf8("\xC0\x80"), 0);          // overlong NUL
  EXPECT_EQ(find_invalid_utf8("\xE0\x80\xAF"), 0);      // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1);     // UTF-16 surrogate
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("ok\xE4\xB8"), 2);        // cut short
  EXPECT_EQ(find_invalid_utf8("\x80"), 0);              // a lone continuation byte
}

// ---- bad input -----------------------------------------------------------------------------

TEST(GlueBadInput, MissingDirAndFile) {
  ScratchDir dir;
  expect_error([&] { read_glue_examples(glue_task("rte"), dir.file("nope"), GlueSplit::Dev); },
               {"GLUE data dir not found", "nope"});
  expect_error([&] { read_glue_examples(glue_task("rte"), dir.path(), GlueSplit::Dev); },
               {"'rte'", "dev file not found", dir.file("dev.tsv")});
}

TEST(GlueBadInput, TooFewColumnsNamesFileAndLine) {
  ScratchDir dir;
  const std::string path = dir.write("dev.tsv", "index\tsentence1\tsentence2\tlabel\n"
                                                "0\ta\tb\tentailment\n"
                                                "1\ta b\tentailment\n");
  expect_error([&] { read_glue_file(glue_task("rte"), path, GlueSplit::Dev); },
               {path + ":3:", "at least 4", "found 3"});
  const std::string blank = dir.write("blank.tsv", "sentence\tlabel\nfine\t1\n\nfine\t0\n");
  expect_error([&] { read_glue_file(glue_task("sst-2"), blank, GlueSplit::Dev); },
               {blank + ":3:", "found 0"});
  // A last-column label must not be read out of a text column.
  const std::string short_mnli = dir.write("mnli.tsv", "h\n0\t1\t2\t3\t4\t5\t6\t7\ta\tb\n");
  expect_error([&] { read_glue_file(glue_task("mnli"), short_mnli, GlueSplit::Train); },
               {short_mnli + ":2:", "at least 11", "found 10"});
}

TEST(GlueBadInput, UnknownLabelNamesFileLineAndLabel) {
  ScratchDir dir;
  const std::string path = dir.write("train.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                                                  "1\t1\t2\ta\tb\n"
                                                  "yes\t3\t4\tc\td\n");
  expect_error([&] { read_glue_file(glue_task("mrpc"), path, GlueSplit::Train); },
               {path + ":3:", "unknown label 'yes'", "'mrpc'", "0, 1"});
  const std::string mnli = dir.write("dev_matched.tsv",
                                     "h\n0\t1\t2\t3\t4\t5\t6\t7\ta\tb\tneutral\t-\n");
  expect_error([&] { read_glue_file(glue_task("mnli"), mnli, GlueSplit::Dev); },
               {mnli + ":2:", "unknown label '-'", "contradiction, entailment, neutral"});
  const std::string stsb = dir.write("stsb.tsv", "h\n0\t1\t2\t3\t4\t5\t6\ta\tb\t4.x\n");
  expect_error([&] { read_glue_file(glue_task("sts-b"), stsb, GlueSplit::Train); },
               {stsb + ":2:", "label '4.x'", "not a number"});
  const std::string nan = dir.write("nan.tsv", "h\n0\t1\t2\t3\t4\t5\t6\ta\tb\tnan\n");
  expect_error([&] { read_glue_file(glue_task("sts-b"), nan, GlueSplit::Train); },
               {nan + ":2:", "not a number"});
}

TEST(GlueBadInput, EmptyDataset) {
  ScratchDir dir;
  const std::string header_only = dir.write("dev.tsv", "index\tquestion\tsentence\tlabel\n");
  expect_error([&] { read_glue_file(glue_task("qnli"), header_only, GlueSplit::Dev); },
               {header_only, "no examples", "'qnli'", "only a header"});
  const std::string empty = dir.write("train.tsv", "");
  expect_error([&] { read_glue_file(glue_task("cola"), empty, GlueSplit::Train); },
               {empty, "no examples", "'cola'"});
}

TEST(GlueBadInput, InvalidUtf8NamesFileAndLine) {
  ScratchDir dir;
  const std::string path = dir.write("train.tsv", "sentence\tlabel\ngood\t1\nbad \xE9t\xE9\t0\n");
  expect_error([&] { read_glue_file(glue_task("sst-2"), path, GlueSplit::Train); },
               {path + ":3:", "invalid UTF-8", "byte 5"});
  const std::string nul = dir.write("nul.tsv", std::string("sentence\tlabel\nx\0y\t1\n", 21));
  expect_error([&] { read_glue_file(glue_task("sst-2"), nul, GlueSplit::Train); },
               {nul + ":2:", "NUL"});
}
