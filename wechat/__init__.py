"""The WeChat Official Account platform edge: the outbound API client, a fake of the WeChat API
and the builders of what WeChat POSTs to our webhook."""
