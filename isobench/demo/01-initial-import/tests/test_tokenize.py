import unittest

from textkit import tokenize, word_counts


class TokenizeTest(unittest.TestCase):
    def test_words_are_lowercased(self) -> None:
        self.assertEqual(tokenize("The Quick brown FOX"), ["the", "quick", "brown", "fox"])

    def test_punctuation_and_apostrophes(self) -> None:
        self.assertEqual(tokenize("Don't panic -- it's 42!"), ["don't", "panic", "it's", "42"])

    def test_empty(self) -> None:
        self.assertEqual(tokenize(""), [])
        self.assertEqual(tokenize(" ,.;! "), [])

    def test_word_counts(self) -> None:
        counts = word_counts("a rose is a rose is a rose")
        self.assertEqual(counts["rose"], 3)
        self.assertEqual(counts["a"], 3)
        self.assertEqual(counts["is"], 2)


if __name__ == "__main__":
    unittest.main()
