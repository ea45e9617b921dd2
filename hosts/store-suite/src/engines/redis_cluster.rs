//! PLACEHOLDER: the redis_cluster engine (issue 15).
