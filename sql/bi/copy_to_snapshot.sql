copy from database {{ working }} to snapshot
