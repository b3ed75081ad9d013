"""English for the energy-metering app's strings (merged by scripts/i18n)."""

EN = {
    # GB 17167-2006 Table 3: energy types and levels
    "电力": "Electricity",
    "煤炭": "Coal",
    "焦炭": "Coke",
    "原油": "Crude oil",
    "成品油": "Refined oil products",
    "重油": "Heavy oil",
    "渣油": "Residual oil",
    "天然气": "Natural gas",
    "液化气": "Liquefied petroleum gas",
    "煤气": "Coal gas",
    "蒸汽": "Steam",
    "水": "Water",
    "可回收利用的余能": "Recoverable waste energy",
    "进出用能单位": "Energy entering/leaving the unit",
    "进出主要次级用能单位": "Energy entering/leaving main sub-units",
    "主要用能设备": "Main energy-using equipment",
    # records
    "重点用能单位能源计量": "Energy metering of key energy-using units",
    "重点用能单位": "Key energy-using unit",
    "能源计量": "Energy metering",
    "用能单位": "Energy-using unit",
    "年综合能源消费量（tce）": "Annual total energy consumption (tce)",
    "单位填报": "Submitted by the unit",
    "监管核实": "Checked by the regulator",
    "调查日期": "Survey date",
    "主要次级用能单位数": "Main sub-units",
    "主要用能设备台数": "Main energy-using equipment (pieces)",
    "核实人": "Checked by",
    "核实日期": "Checked on",
    "能源计量器具配备调查": "Energy-metering survey",
    "计量级别": "Metering level",
    "能源种类": "Energy type",
    "理论需要量": "Required (theoretical)",
    "实际配备数": "Configured",
    "配备明细": "Survey line",
    "调查记录": "Surveys",
    # pages
    "配备率缺口": "Configuration-rate gaps",
    "主要用能设备配备率": "Configuration rate, main equipment",
    "符合 GB 17167": "Meets GB 17167",
    "统计日": "As of",
    "计入单位数": "Units counted",
    "配备率": "Configuration rate",
    "要求配备率": "Required rate",
    "无要求": "No requirement",
    "核实": "Check",
    "单位填报的调查经监管部门核实后才计入区域指标。": (
        "A survey submitted by the unit counts in the region's indicator only once a regulator "
        "has checked it."
    ),
    "配备率 = 实际配备数 / 理论需要量（GB 17167-2006 §3.2）；要求配备率见 GB 17167-2006 表 3。": (
        "Configuration rate = configured / theoretically required (GB 17167-2006 §3.2); "
        "required rates from GB 17167-2006 Table 3."
    ),
    "要求配备率数值未经与标准文本核对": (
        "the required rates have not been checked against the standard's text"
    ),
    "各单位在统计日前最近一次经监管部门核实的调查；低于 GB 17167-2006 表 3 要求配备率的明细。": (
        "Each unit's latest survey checked by a regulator on or before the date; the lines below "
        "the required rate of GB 17167-2006 Table 3."
    ),
    "平台口径：所在区划在本区域内的重点用能单位，各取统计日前最近一次经监管部门核实的能源计量"
    "器具配备调查，主要用能设备级的实际配备数之和 / 理论需要量之和（单位自行填报未核实的不计）": (
        "Platform selection: key energy-using units located in the region, each with its latest "
        "energy-metering survey checked by a regulator on or before the reporting date; the sum "
        "of configured over the sum of required instruments at the main-equipment level (surveys "
        "the unit submitted but no regulator checked do not count)"
    ),
    # refusals and errors
    "您无权查看重点用能单位": "You may not read key energy-using units",
    "只有监管部门可以查看配备率缺口": "Only regulators may read the configuration-rate gaps",
    "只有该单位所在区划的监管部门可以认定": "Only the regulator of the unit's region may assert this",
    "只有监管部门可以登记重点用能单位": "Only a regulator may designate key energy-using units",
    "该单位不在您的监管区域内": "This organisation is outside your supervised region",
    "该区划不在您的监管区域内": "This region is outside your supervised region",
    "只有该单位本身或所在区划的监管部门可以填报": (
        "Only the unit itself or the regulator of its region may enter a survey"
    ),
    "已核实的调查只能由监管部门修改": "Only a regulator may change a checked survey",
    "energy_consumption_tce：应为不小于 0 的吨标准煤数": (
        "energy_consumption_tce: give tonnes of standard coal equivalent, at least 0"
    ),
    "region：该机构未登记区划，请给出用能单位所在区划": (
        "region: the organisation has no registered region; give the unit's region"
    ),
    "organisation：该机构已登记为重点用能单位": (
        "organisation: this organisation is already a key energy-using unit"
    ),
    "%(field)s：应为 %(a)s 到 %(b)s 之间的整数": "%(field)s: give a whole number from %(a)s to %(b)s",
    "surveyed_on：应为日期": "surveyed_on: give a date",
    "surveyed_on：日期超出范围": "surveyed_on: date out of range",
    "surveyed_on：不能晚于今天": "surveyed_on: cannot be later than today",
    "lines：至少给出一行配备明细": "lines: give at least one survey line",
    "lines：最多 %(n)s 行": "lines: at most %(n)s lines",
    "%(at)s：应为一个对象": "%(at)s: give an object",
    "%(at)s.level：%(v)r 不是 %(known)s 之一": "%(at)s.level: %(v)r is not one of %(known)s",
    "%(at)s.level：该单位没有主要次级用能单位（sub_units 为 0）": (
        "%(at)s.level: the unit has no main sub-units (sub_units is 0)"
    ),
    "%(at)s.level：该单位没有主要用能设备（main_equipment 为 0）": (
        "%(at)s.level: the unit has no main energy-using equipment (main_equipment is 0)"
    ),
    "%(at)s.energy：%(v)r 不是 GB 17167 表中的能源种类": (
        "%(at)s.energy: %(v)r is not an energy type of the GB 17167 table"
    ),
    "%(at)s.energy：%(e)s 在 %(l)s 级重复": "%(at)s.energy: %(e)s given twice at level %(l)s",
    "%(at)s.configured：实际配备数 %(c)s 超过理论需要量 %(r)s（只计所需计量点上的器具）": (
        "%(at)s.configured: %(c)s configured exceed the %(r)s required (count only instruments "
        "at required measuring points)"
    ),
    "unit：调查不属于该单位": "unit: the survey belongs to another unit",
    "note：不得超过 %(n)s 个字符": "note: at most %(n)s characters",
    "surveyed_on：该单位 %(d)s 已有调查": "surveyed_on: the unit already has a survey on %(d)s",
    "status：该调查已核实": "status: the survey is already checked",
    "核实所选调查": "Check the selected surveys",
    "已核实 %(n)s 项调查": "%(n)s surveys checked",
}
