package llm

// The step under test of fakes_test.go and the request check of
// provider.go, for the external tests (package llm_test), which script a
// provider with llmtest: llmtest imports llm.
var (
	TestRequest    = testRequest
	ValidateAnswer = validateAnswer
	CheckRequest   = checkRequest
)
