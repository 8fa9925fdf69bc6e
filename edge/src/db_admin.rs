//! D1 queries of `admin.rs`. Every query binds its parameters; none is built from input.
