//! `sparky doctor`: checks for what would make Sparky unsafe or slow.
