"""One router per noun: parse the request, call one use case, shape the answer."""
