import unittest

from textkit.ngrams import ngram_counts, ngrams


class NgramsTest(unittest.TestCase):
    def test_bigrams_and_trigrams(self) -> None:
        words = "the cat sat on the mat".split()
        self.assertEqual(ngrams(words), [("the", "cat"), ("cat", "sat"), ("sat", "on"), ("on", "the"), ("the", "mat")])
        self.assertEqual(ngrams(words, 3)[0], ("the", "cat", "sat"))
        self.assertEqual(len(ngrams(words, 3)), 4)

    def test_unigrams_short_and_empty_input(self) -> None:
        self.assertEqual(ngrams(["a", "b"], 1), [("a",), ("b",)])
        self.assertEqual(ngrams(["a", "b"], 3), [])
        self.assertEqual(ngrams([], 2), [])

    def test_any_iterable(self) -> None:
        self.assertEqual(ngrams(iter("abc"), 2), [("a", "b"), ("b", "c")])

    def test_bad_n(self) -> None:
        with self.assertRaises(ValueError):
            ngrams(["a"], 0)

    def test_counts(self) -> None:
        counts = ngram_counts("a b a b a".split(), 2)
        self.assertEqual(counts, {("a", "b"): 2, ("b", "a"): 2})
        self.assertEqual(counts.most_common(1)[0][1], 2)
        self.assertEqual(ngram_counts([], 2), {})


if __name__ == "__main__":
    unittest.main()
