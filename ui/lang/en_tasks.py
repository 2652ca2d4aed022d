"""English: the Text & labels page (a character language model, sequence classification)."""

TASKS: dict[str, str] = {
    "nav.tasks": "Text & labels",
    "tasks.title": "Text and labelled sequences",
    "tasks.intro": "Two tasks beside forecasting. A character language model reads a text and learns to predict "
                   "each next character; sequence classification reads whole sequences and names their class. "
                   "Both train the same cells as the other pages.",
    "tasks.task": "Task",
    "tasks.task.charlm": "Character language model",
    "tasks.task.classify": "Sequence classification",
    "tasks.data": "Data",
    "tasks.sample": "Bundled or generated data",
    "tasks.sample.genesis": "Genesis (King James Version, English)",
    "tasks.sample.tang300": "300 Tang poems (Chinese)",
    "tasks.sample.italy_power_demand": "Italian power demand: winter or summer day (real)",
    "tasks.sample.synthetic:waveform": "Which waveform: sine, square or sawtooth (generated)",
    "tasks.sample.synthetic:sign_memory": "The sign of the first step, 30 steps back (generated; needs memory)",
    "tasks.unknown_symbol": "{symbol} stands for a character the model does not know: one outside its vocabulary of the most frequent characters (Vocabulary). The higher the temperature, the more often it writes one.",
    "tasks.upload": "Or upload a file (up to {limit} MB)",
    "tasks.upload_limit": "Files up to {limit} MB, as {kinds}; the browser refuses a larger file (a red mark next to it).",
    "tasks.upload_help.charlm": "A plain-text file in UTF-8 (.txt); the first {limit} characters are used",
    "tasks.upload_help.classify": "A CSV: one row per sequence with a label column and one column per step, or "
                                  "one row per step with sequence_id, step, features and label",
    "tasks.label": "Label column (empty: found by name, else the first column)",
    "tasks.using": "Using {name}: {what}",
    "tasks.what.charlm": "{characters} characters, {distinct} distinct",
    "tasks.what.classify": "{sequences} sequences of {steps} steps, classes: {counts}",
    "tasks.cut": "Only the first {limit} characters of the text are used here.",
    "tasks.settings": "Settings",
    "tasks.start": "Start",
    "tasks.sweep": "Sweep these settings",
    "tasks.sweep_help": "Open the Sweep page on this experiment: Optuna searches the cell, size and learning rate for the best validation score (accuracy for a classifier, bits per character for a language model).",
    "tasks.stop": "Stop",
    "tasks.too_big": "This model has {count} parameters, over this server's limit of {limit}; use fewer units.",
    "tasks.busy": "A run of yours is training; stop it first or wait for it to end.",
    "tasks.ended": "{message}.",
    "tasks.loss": "Loss (cross-entropy)",
    "tasks.scores": "Scores",
    "tasks.col.model": "model",
    "tasks.col.split": "part",
    "tasks.split.val": "validation",
    "tasks.split.test": "test",
    "tasks.model": "this model",
    "baseline.unigram": "unigram baseline",
    "baseline.bigram": "bigram baseline",
    "baseline.majority": "majority class",
    "tasks.metric.bits_per_char": "bits per character",
    "tasks.metric.perplexity": "perplexity",
    "tasks.metric.accuracy": "accuracy",
    "tasks.metric.macro_f1": "macro-F1",
    "tasks.beats": "The model beats the baselines on the test part.",
    "tasks.no_better.charlm": "The model does not beat the bigram baseline on the test part: train longer or use "
                              "more units.",
    "tasks.no_better.classify": "The model does not beat always answering the majority class on the test part: "
                                "train longer or try another cell.",
    "tasks.sample_heading": "Text written by the model",
    "tasks.prompt": "Begin with",
    "tasks.temperature": "Temperature",
    "tasks.temperature_help": "Low: the likeliest characters, repetitive; high: more surprising, more mistakes",
    "tasks.inside_heading": "Inside: the text coloured by one unit",
    "tasks.inside_caption": "The first {count} characters of the test part, read one after another. Red: the unit "
                            "is positive, blue: negative. The units listed first look most interpretable: they "
                            "switch hard (saturated) or follow the position in the line.",
    "tasks.layer": "Layer",
    "tasks.what": "What to colour by",
    "tasks.unit": "Unit",
    "tasks.unit_named": "unit {unit} ({kind} {score})",
    "tasks.kind.saturated": "saturated",
    "tasks.kind.position in line": "position in line, |r|",
    "tasks.position": "Character",
    "tasks.guesses": "After “{context}” the model expects: {guesses}",
    "tasks.confusion_heading": "Test sequences: the confusion matrix and the mistakes",
    "tasks.fig.coloured": "{what} of unit {unit}",
    "tasks.fig.value": "value",
    "tasks.fig.confusion": "Confusion matrix (test)",
    "tasks.fig.true": "true class",
    "tasks.fig.predicted": "predicted class",
    "tasks.fig.share": "share of row",
    "tasks.fig.wrong": "Misclassified test sequences (true → predicted)",
    "tasks.fig.step": "time step",
    "tasks.fig.none": "no test sequence is misclassified",
    "tasks.sequence_heading": "Inside: one test sequence through the cell",
    "tasks.sequence": "Test sequence (the misclassified ones first)",
    "tasks.sequence_named": "#{index}: {true}, read as {predicted}",
    "tasks.scenario.text_lstm.title": "What does an LSTM learn about text?",
    "tasks.scenario.text_lstm.watch": "An LSTM of 64 units reads Genesis, 48 characters at a time, for 20 epochs. "
                                      "Watch the bits per character fall below the bigram baseline, the written "
                                      "text learn spaces and common words before punctuation and line breaks, "
                                      "and, in the coloured text below, a unit that follows the position in the "
                                      "line (it grows along a verse and resets at ↵).",
    "tasks.scenario.memory_rnn.title": "Which cell remembers? 1: a plain RNN",
    "tasks.scenario.memory_rnn.watch": "The class is the sign of the first of 30 steps; every later step is noise "
                                       "as large as it. A plain RNN of 16 units carries it to the end and reaches "
                                       "about 100 % on the test sequences in 10 epochs.",
    "tasks.scenario.memory_lstm.title": "Which cell remembers? 2: an LSTM",
    "tasks.scenario.memory_lstm.watch": "The same task for an LSTM: it stays near 50 %, even after 25 epochs. Its "
                                        "forget gate starts half open, so each step halves what it keeps of the "
                                        "first one. See its forget gate in \"Inside\" below.",
    "tasks.scenario.memory_forget_bias.title": "Which cell remembers? 3: an LSTM with forget bias 1",
    "tasks.scenario.memory_forget_bias.watch": "The same LSTM with its forget gate's bias set to 1 (Jozefowicz et al. "
                                               "2015): the gate starts mostly open and the LSTM reaches about 100 % "
                                               "in 10 epochs. One number at the start decides what it can learn.",
    "tasks.scenario.memory_gru.title": "Which cell remembers? 4: a GRU",
    "tasks.scenario.memory_gru.watch": "The same task for a GRU: it also stays near the majority class (about 56 % "
                                       "in 10 epochs, 50 % after 25). Its update gate starts half open too, so the "
                                       "first step fades as in the LSTM; the gated cells need their gates set to "
                                       "keep before they can learn what to keep.",
    "tasks.weights.none": "none: every sequence alike",
    "tasks.weights.balanced": "balanced: each class alike",
    "tasks.stored.as": "Recorded as run {number} in this workspace: it stays after a reload, on Compare and Evaluate with every run.",
    "tasks.runs_elsewhere": "Every run of this workspace, of every task, is on Compare (loss curves, test scores, a run's zip imported) and on Evaluate (its scores, its text or confusion matrix, Continue).",
    "tasks.link_source": "this page offers {choices}, or a file you upload",
    "tasks.download": "Download the run (model, settings, history, metrics)",
    "tasks.live_waiting": "What the model writes appears after its first epoch.",
    "train.task_results": "Its scores next to the baselines, and the text it writes or its confusion matrix, are "
                          "on the Text & labels page once it ends.",
    "tasks.loss_y": "cross-entropy (nats)",
    "tasks.results_below": "Its scores next to the baselines, and its confusion matrix, show below once it ends.",
    "tasks.live_sample": "What the model wrote after epoch {epoch} (temperature {temperature}):",
    "tasks.live_prompt_help": "What the model continues after each epoch; a change applies from the next epoch",
}
