"""简体中文: the messages of ConfigError and BundleError and the descriptions of generators and samples
(English in ui/lang/en_core.py, from rnncore itself)."""

AGAIN = "请用 RNN Lab 重新导出该运行，并原样上传那个 zip"
EXPORTED = "请使用 RNN Lab 导出的运行 zip"
NOT_OURS = "这个 zip 不是 RNN Lab 导出的运行"

CORE: dict[str, str] = {
    "classerror.bad_room": "{room} 不是房间码：房间码由 6 个字母和数字组成（没有 0、O、1、I）；请向老师确认",
    "classerror.no_room": "没有房间码为 {room} 的班级；请向老师核对房间码",
    "classerror.bad_teacher_key": "本服务器不认识这个教师链接；请使用创建班级时得到的完整链接",
    "classerror.name_empty": "请输入一个显示名（1 到 {most} 个字符），让老师知道这些运行是谁的",
    "classerror.name_long": "显示名最多 {most} 个字符（这个有 {count} 个）；请换一个短一些的",
    "classerror.name_taken": "班里已经有人叫 {name}；请换一个显示名",
    "classerror.too_many_attempts": "最近一分钟内从这里尝试的次数太多（{count} 次）；请等一分钟再试",
    "classerror.not_member": "这个工作区不在任何班级中；请先用房间码加入一个班级",
    "classerror.closed": "班级 {room} 目前不接受提交；等老师开放",
    "classerror.too_many_submissions": "你在最近一分钟内提交了 {count} 次，已达到上限；请等一分钟，再提交你最好的运行",
    "classerror.not_finished": "只能提交已结束并保存了权重的运行（运行 {run} 的状态是 {status}）",
    "classerror.other_data": "运行 {run} 是在 {source} 上训练的，不是挑战的数据；请在班级页加载挑战数据并用它训练",
    "classerror.other_window": "运行 {run} 的 {setting} = {value}，挑战要求 {wanted}；请保持挑战的窗口和划分",
    "classerror.cell_not_allowed": "挑战允许的单元是 {cells}；运行 {run} 用的是 {cell}",
    "classerror.over_budget": "运行 {run} 的 {name} = {value}，超过挑战的预算 {limit}；请在预算内训练",
    "classerror.bad_challenge": "无法使用这个挑战：{problem}",
    "classerror.challenge_difference": "挑战对序列本身评分，所以窗口的差分必须为 none",
    "classerror.too_short": "挑战的数据太短，留出测试部分后无法再训练（{detail}）",
    "classerror.no_model": "运行 {run} 没有在存储中保存模型；请重新训练后再提交",
    "configerror.running_elsewhere": "这次运行正在另一个标签页或另一台服务器上训练；请等它在那里结束，或在那里停止它",
    "reason.interrupted": "已中断：这次运行训练时服务器停止了，当时已完成 {epochs} 轮；可从第 {kept} 轮的权重继续",
    "reason.interrupted_early": "已中断：这次运行训练时服务器停止了，当时还没有保存任何权重；请重新开始",
    "reason.elsewhere": "正在另一个标签页或另一台服务器上训练（目前 {epochs} 轮）",
    "storeerror.bad_url": "无法使用存储地址 {url}（{detail}）；请使用 sqlite:///路径/文件.sqlite3 或 "
                          "postgresql+psycopg://用户:密码@主机:端口/数据库",
    "storeerror.unreachable": "无法连接运行存储 {where}（{detail}）；请检查数据库服务器是否在运行，并检查存储地址"
                              "（rnnlab.toml 的 [store] url，或 RNNLAB_STORE）",
    "storeerror.corrupt": "运行存储 {where} 不是 RNN Lab 能读取的数据库（{detail}）；其中的内容没有被改动。"
                          "把该文件移到别处即可新建存储，或检查存储地址（rnnlab.toml 的 [store] url，或 RNNLAB_STORE）",
    "storeerror.locked": "运行存储 {where} 被另一个程序锁定；请稍后再试",
    "storeerror.full": "运行存储 {where} 所在的磁盘已满；已保存的内容没有丢失。请释放一些空间后再试",
    "storeerror.failed": "运行存储 {where} 拒绝了这次更改（{detail}）；什么都没有改变，请再试一次",
    "storeerror.newer_schema": "运行存储 {where} 是由更新版本的 RNN Lab 写入的（结构版本 {found}；本版本最多读取 "
                               "{known}）；没有读取或改动任何内容。请升级 RNN Lab，或检查存储地址",
    "storeerror.bad_workspace_key": "{workspace} 不是工作区密钥（密钥由 32 到 64 个字母、数字、- 和 _ 组成）；请重新复制完整的工作区链接",
    "storeerror.no_workspace": "此存储中没有密钥为 {workspace} 的工作区；请检查密钥，或新建一个工作区",
    "storeerror.no_run": "此工作区中没有运行 {run}；'runs list' 会列出已有的运行",
    "storeerror.quota_runs": "此工作区已有 {count} 次运行，达到上限（{limit}，rnnlab.toml 中的 max_runs）；请删除不再需要的运行",
    "storeerror.quota_bytes": "这会使工作区达到 {size} MB，超过配额 {limit} MB（rnnlab.toml 中的 max_megabytes）；"
                              "请删除不再需要的运行或文件",
    "storeerror.no_model": "运行 {run} 没有保存模型（为了不超出工作区配额而被删除，或运行在第一轮之前就结束了）；请重新训练",
    "storeerror.no_data": "运行 {run} 训练所用的数据（{source}）不在存储中；请加载它后再试",
    "storenote.models_removed": "为使工作区不超出配额（rnnlab.toml 中的 keep_models 和 max_megabytes），运行 {runs} "
                                "的模型已被删除；它们的曲线和指标仍然保留",
    "storenote.store_down": "目前运行只保存在这个标签页的内存中：{error}",
    "storenote.data_not_kept": "这个文件没有保存在工作区中，所以刷新后无法重新打开基于它的运行：{error}",
    # ConfigError: rnncore.config
    "configerror.whole_number": "{name} 必须是整数（得到的是 {value}）",
    "configerror.number": "{name} 必须是数字（得到的是 {value}）",
    "configerror.finite": "{name} 必须是有限的数字（得到的是 {value}）",
    "configerror.text": "{name} 必须是文本（得到的是 {value}）",
    "configerror.text_list": "{name} 必须是列名的列表（得到的是 {value}）",
    "configerror.choice": "{name} 必须是以下之一：{choices}（得到的是 {value}）",
    "configerror.between": "{name} 必须介于 {low} 和 {high} 之间（得到的是 {value}）",
    "configerror.at_least": "{name} 至少为 {low}（得到的是 {value}）",
    "configerror.params": "{name} 必须是从参数名到取值的映射",
    "configerror.source": "source 必须指定一个数据集（sample:NAME）、一个生成器（synthetic:NAME）或一个文件",
    "configerror.param_type": "生成器参数 {name} 必须是数字或单词",
    "configerror.param_finite": "生成器参数 {name} 必须是有限的数字",
    "configerror.fractions": "train_fraction + val_fraction 必须小于 1，才能留出测试部分",
    "configerror.gru_tanh": "GRU 单元只支持 tanh 激活函数；请选择 tanh 或其他单元",
    "configerror.unusable_value": "{name} 的取值 {value} 无法使用",
    "configerror.unknown_setting": "未知的设置 '{setting}'",
    "configerror.unknown_link_parameter": "未知的链接参数 '{name}'",
    "configerror.not_object": "配置必须是一个包含 data、window、model 和 train 的 JSON 对象",
    "configerror.config_version": "此配置由 RNN Lab 配置版本 {version} 写成；本版本读取的是版本 {supported}",
    "configerror.unknown_sections": "未知的配置部分：{sections}",
    "configerror.section_not_object": "配置部分 {name} 必须是一个对象",
    "configerror.not_json": "该配置不是有效的 JSON（{detail}）",
    "configerror.ignored": "{problem}；已忽略",
    "configerror.default_used": "{problem}；已使用默认值",
    "configerror.defaults_used": "{problem}；{section} 部分已全部使用默认值",
    "configerror.unknown_link_parameter_ignored": "未知的链接参数 '{name}'，已忽略",
    # ConfigError: server limits (rnncore.training), the session (rnncore.lab), forecasts (rnncore.results)
    "configerror.over_limit": "{name} 为 {value}，超过了本服务器的上限 {limit_name}={limit}；请选择不超过 {limit} 的值",
    "configerror.over_parameter_limit": "模型的参数数量为 {value}，超过了本服务器的上限 {limit_name}={limit}；"
                                        "请使参数数量不超过 {limit}",
    "configerror.run_going": "仍有一个运行在进行中：请先停止它，再开始新的运行",
    "configerror.model_gone": "此运行的模型已不再保存在内存中（只保留最近的几个）；请导出您想继续训练的运行",
    "configerror.forecast_steps": "steps 必须至少为 1",
    "configerror.forecast_method": "method 必须是 recursive 或 direct（得到的是 {method}）",
    "configerror.direct_horizon": "直接预测最多只能达到预测步长（{horizon} 步）；请使用 method='recursive'，"
                                  "或用更长的预测步长训练",
    "configerror.recursive_target": "递归预测会把预测值作为输入反馈回去，因此目标必须是唯一的特征（当前特征为 "
                                    "{features}）；请使用 method='direct'，或只用目标列训练",
    # ConfigError: rnncore.generators
    "configerror.ar2_stationary": "在这些系数下 ar2 不平稳；请选择满足 phi1 + phi2 < 1、phi2 - phi1 < 1 且 "
                                  "-1 < phi2 < 1 的 phi1 和 phi2（例如 phi1=0.6, phi2=-0.3）",
    "configerror.gen_whole": "对于 {generator}，{param} 必须是整数（得到的是 {value}）",
    "configerror.gen_finite": "对于 {generator}，{param} 必须是有限的数字（得到的是 {value}）",
    "configerror.gen_low": "对于 {generator}，{param} 至少为 {low}（得到的是 {value}）",
    "configerror.gen_high": "对于 {generator}，{param} 最多为 {high}（得到的是 {value}）",
    "configerror.gen_unknown": "{generator} 没有参数 {param}；它接受的参数：{params}",
    "configerror.gen_unknown_length": "{generator} 没有参数 {param}；它接受的参数：{params}；"
                                      "请改为设置 steps 和 samples，而不是 length",
    "configerror.gen_seed": "seed 必须是非负整数（得到的是 {seed}）",
    # BundleError: rnncore.bundle
    "bundleerror.empty": "上传的内容为空或不是文件；" + EXPORTED,
    "bundleerror.not_zip": "这不是 zip 文件，或者文件被截断、已损坏（{detail}）；请使用 RNN Lab 导出的完整 zip",
    "bundleerror.unsafe_path": "zip 中有一个路径不安全的文件（{name}）；运行 zip 中只有普通的文件名。" + AGAIN,
    "bundleerror.too_many_files": "zip 中有 {count} 个文件；运行 zip 中应有 {expected} 个。" + AGAIN,
    "bundleerror.twice": "zip 中的 {name} 出现了两次。" + AGAIN,
    "bundleerror.member_too_big": "{name} 解压后将有 {size} MB，超过了每个文件 {limit} MB 的上限；这不是 RNN Lab "
                                  "的运行 zip（运行文件要小得多）",
    "bundleerror.too_big": "该 zip 解压后将有 {size} MB，超过了 {limit} MB 的上限；这不是 RNN Lab 的运行 zip",
    "bundleerror.damaged": "zip 中的 {name} 已损坏（{detail}）。" + AGAIN,
    "bundleerror.wrong_size": "zip 中 {name} 的大小与其文件头所写的不符。" + AGAIN,
    "bundleerror.no_manifest": NOT_OURS + "（它没有 manifest.json）；" + EXPORTED,
    "bundleerror.manifest_json": "zip 中的 manifest.json 不是有效的 JSON。" + AGAIN,
    "bundleerror.wrong_format": NOT_OURS + "（其 manifest 中的格式是 {found}，而不是 {expected}）；" + EXPORTED,
    "bundleerror.wrong_version": "此运行 zip 的包版本为 {found}；本 RNN Lab 读取的是版本 {expected}。请用生成它的 "
                                 "RNN Lab 打开，或重新导出该运行",
    "bundleerror.manifest_files": "manifest.json 没有列出一个运行的文件（{files}）。" + AGAIN,
    "bundleerror.extra_file": "zip 中有 {name}，它不属于一个运行；只接受声明过的文件（pickle 等其他文件从不加载）。"
                              "请删除它，或用 RNN Lab 重新导出该运行",
    "bundleerror.missing": "zip 中缺少 {files}。" + AGAIN,
    "bundleerror.checksum": "{name} 与 manifest.json 中的校验和不符：该 zip 在导出后被修改或损坏了。" + AGAIN,
    "bundleerror.bad_config": "zip 中的 {name} 无法使用：{error}",
    "bundleerror.unreadable_tensors": "{name} 不是可读取的 safetensors 文件（{detail}）。" + AGAIN,
    "bundleerror.foreign_weights": "{name} 不是由 RNN Lab 写入的（其元数据中没有 input_size/output_size）。" + AGAIN,
    "bundleerror.weights_mismatch": "{name} 与 {config} 中的模型不匹配（{cell}，hidden_size {hidden_size}，"
                                    "{layers} 层）：{detail}。" + AGAIN,
    "bundleerror.unreadable_file": "无法读取 zip 中的 {name}（{detail}）。" + AGAIN,
    "bundleerror.bad_document": "zip 中的 {name} 不是运行 zip 应有的内容（{problem}）。" + AGAIN,
    "bundleerror.too_many_rows": "zip 中的 {name} 有 {rows} 行，超过一个运行可能有的行数（{limit}）。" + AGAIN,
    "bundleerror.bad_sizes": "{name} 表示模型读取 {inputs} 个输入列、预测 {outputs} 步；一个运行有 1 到 {most_inputs} 个输入、"
                             "1 到 {most_outputs} 步。" + AGAIN,
    # what each generator and sample is (rnncore.generators.describe_generator, rnncore.data.sample_description)
    "generator_about.sine": "带高斯噪声的正弦波",
    "generator_about.sum_of_sines": "三个不同周期的正弦波之和",
    "generator_about.damped": "阻尼振荡：振幅按指数衰减的正弦波",
    "generator_about.square": "方波（duty：每个周期中取 +amplitude 的比例）",
    "generator_about.sawtooth": "锯齿波：每个周期从 -amplitude 上升到 +amplitude",
    "generator_about.trend_seasonal": "线性趋势加上季节性正弦波，再加噪声",
    "generator_about.random_walk": "高斯随机游走（drift 加随机步长的累积和）",
    "generator_about.ar2": "AR(2) 过程 x[t] = phi1 x[t-1] + phi2 x[t-2] + sigma e[t]",
    "generator_about.mackey_glass": "Mackey-Glass 时滞微分方程（tau 为 17 时呈混沌）",
    "generator_about.lorenz": "Lorenz 系统（x, y, z），一个混沌吸引子",
    "generator_about.adding": "加法问题：把长序列中两个被标记的值相加",
    "generator_about.copy": "延迟回忆：经过一段延迟后，复现第一步显示的值",
    "sample_about.airline_passengers": "国际航空旅客人数（千人，月度），1949 年 1 月至 1960 年 12 月"
                                       "（Box & Jenkins 序列 G）",
    "sample_about.sunspots": "年平均太阳黑子数，1700 年至 2008 年（SIDC/NOAA）；周期约 11 年",
    "sample_about.stocks": "六只科技股（GOOG、AAPL、AMZN、FB、NFLX、MSFT）的每周收盘价，2018 年至 2019 年，"
                           "每只都除以其 2018 年第一周的价格",
    "sample_about.co2": "Mauna Loa 大气 CO2 浓度（ppm，周度），1958 年 3 月至 2001 年 12 月（Keeling & Whorf，SIO/CDIAC）",
}
