import unittest

from textkit import STOPWORDS, is_stopword, remove_stopwords, tokenize


class StopwordsTest(unittest.TestCase):
    def test_removes_stopwords_and_keeps_order(self) -> None:
        words = tokenize("The cat sat on the mat because it was tired")
        self.assertEqual(remove_stopwords(words), ["cat", "sat", "mat", "tired"])

    def test_case_insensitive_and_original_case_kept(self) -> None:
        self.assertEqual(remove_stopwords(["The", "Quick", "AND", "Lazy", "dog"]), ["Quick", "Lazy", "dog"])

    def test_only_stopwords_or_none(self) -> None:
        self.assertEqual(remove_stopwords(["a", "an", "the", "Of"]), [])
        self.assertEqual(remove_stopwords(["zebra", "yak"]), ["zebra", "yak"])
        self.assertEqual(remove_stopwords([]), [])

    def test_accepts_any_iterable(self) -> None:
        self.assertEqual(remove_stopwords(iter(["to", "be", "brave"])), ["brave"])
        self.assertEqual(remove_stopwords(w for w in ("we", "ran")), ["ran"])

    def test_every_listed_word_is_a_stopword(self) -> None:
        for word in STOPWORDS:
            self.assertTrue(is_stopword(word), word)
            self.assertTrue(is_stopword(word.upper()), word)
        self.assertEqual(remove_stopwords(STOPWORDS), [])

    def test_is_stopword(self) -> None:
        self.assertTrue(is_stopword("Because"))
        self.assertFalse(is_stopword("banana"))
        self.assertFalse(is_stopword(""))


if __name__ == "__main__":
    unittest.main()
