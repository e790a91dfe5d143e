package redis

// CounterAnswers counts the answers the counter rule gave (counterAnswer),
// so that a test can tell the rule was reached.
var CounterAnswers = &counterAnswers

// QueueAnswers counts the queue rule's answers from runs.
var QueueAnswers = &queueAnswers

// StreamAnswers counts the XADD rule's answers from runs.
var StreamAnswers = &streamAnswers
