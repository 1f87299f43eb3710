//! glibc's and musl's host lookup order.
