import unittest

from textkit import slugify


class SlugifyTest(unittest.TestCase):
    def test_basic(self) -> None:
        self.assertEqual(slugify("Hello, World!"), "hello-world")
        self.assertEqual(slugify("  Python 3.12 -- What's New?  "), "python-312-whats-new")

    def test_separators_collapse(self) -> None:
        self.assertEqual(slugify("snake_case and   spaces--and-dashes"), "snake-case-and-spaces-and-dashes")

    def test_accents_are_stripped(self) -> None:
        self.assertEqual(slugify("Café Crème brûlée"), "cafe-creme-brulee")
        self.assertEqual(slugify("Ærøskøbing 東京 naïve"), "rskbing-naive")

    def test_max_length(self) -> None:
        self.assertEqual(slugify("The quick brown fox", max_length=9), "the-quick")
        self.assertEqual(slugify("The quick brown fox", max_length=10), "the-quick")

    def test_empty(self) -> None:
        self.assertEqual(slugify(""), "")
        self.assertEqual(slugify("!!! ??? ..."), "")


if __name__ == "__main__":
    unittest.main()
