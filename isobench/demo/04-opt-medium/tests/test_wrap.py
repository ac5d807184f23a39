import unittest

from textkit import fill, wrap

TEXT = "The quick brown fox jumps over the lazy dog near the riverbank"


class WrapTest(unittest.TestCase):
    def test_known_answer(self) -> None:
        self.assertEqual(
            wrap(TEXT, 20),
            ["The quick brown fox", "jumps over the lazy", "dog near the", "riverbank"],
        )

    def test_lines_fit_and_words_survive(self) -> None:
        for width in (5, 10, 16, 33, 80):
            lines = wrap(TEXT, width)
            self.assertTrue(all(len(line) <= width for line in lines if " " in line), width)
            self.assertEqual(" ".join(lines).split(), TEXT.split())

    def test_exact_fit(self) -> None:
        self.assertEqual(wrap("aaa bbb ccc", 7), ["aaa bbb", "ccc"])
        self.assertEqual(wrap("aaa bbb ccc", 6), ["aaa", "bbb", "ccc"])

    def test_empty(self) -> None:
        self.assertEqual(wrap(""), [])
        self.assertEqual(wrap("   \n "), [])

    def test_fill(self) -> None:
        self.assertEqual(fill("one two three four", 9), "one two\nthree\nfour")

    def test_bad_width(self) -> None:
        with self.assertRaises(ValueError):
            wrap("x", 0)

    def test_long_word_gets_its_own_line(self) -> None:
        self.assertEqual(
            wrap("a supercalifragilistic word", 8), ["a", "supercalifragilistic", "word"]
        )

    def test_whitespace_runs_collapse(self) -> None:
        self.assertEqual(wrap("one\n\ntwo\tthree    four", 9), ["one two", "three", "four"])


if __name__ == "__main__":
    unittest.main()
