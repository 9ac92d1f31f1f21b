"""Structured output: `chat.completions.parse` with a Pydantic model as `response_format`."""

from app import Invoice


def test_a_scripted_json_reply_is_parsed_into_the_model(mockllm, assistant):
    mockllm.script('''
rules:
  - match: {prompt: {contains: "ACME"}}
    reply: {json: {vendor: "ACME Corp", total: 1250.5, currency: "EUR"}}
''')
    invoice = assistant.extract_invoice("Invoice 17 from ACME Corp: 1,250.50 EUR, due in 30 days.")
    assert invoice == Invoice(vendor="ACME Corp", total=1250.5, currency="EUR")
    # The SDK sent the model's JSON Schema (strict) as the response format.
    sent = mockllm.requests()[0]["body"]["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["name"] == "Invoice"
    assert sent["json_schema"]["strict"] is True
    assert set(sent["json_schema"]["schema"]["required"]) == {"vendor", "total", "currency"}


def test_without_a_rule_the_server_generates_json_valid_for_the_schema(mockllm, assistant):
    invoice = assistant.extract_invoice("Some text nobody scripted a reply for.")
    # The SDK parsed it into the model, so it was valid JSON of the schema.
    assert isinstance(invoice, Invoice)
    assert isinstance(invoice.vendor, str) and isinstance(invoice.total, float) and isinstance(invoice.currency, str)
    [entry] = mockllm.requests()
    assert entry["status"] == 200 and entry["body"]["response_format"]["type"] == "json_schema"
