"""The staff chat (Gradio): pure chat helpers in chat.py, the page in app.py."""
