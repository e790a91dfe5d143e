package redis

// CounterAnswers counts the answers the counter rule gave (counterAnswer),
// so that a test can tell the rule was reached.
var CounterAnswers = &counterAnswers
