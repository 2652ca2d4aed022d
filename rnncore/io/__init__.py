"""Files: model files (safetensors + JSON, ``model_files``) and run zips (``bundle``). Never pickle."""
