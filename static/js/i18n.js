// UI strings: Simplified Chinese first, English available.
window.GISAPP_I18N = {
  zh: { title: "社会治理联勤指挥平台", switch: "English", townships: "街道/镇", communities: "社区/村",
        grids: "网格", cameras: "监控点位", "key-roads": "重点路段", "key-locations": "重点部位",
        team: "联勤队", members: "队员", onDuty: "在岗" },
  en: { title: "Joint-duty command platform", switch: "中文", townships: "Townships", communities: "Communities",
        grids: "Grids", cameras: "Cameras", "key-roads": "Key roads", "key-locations": "Key locations",
        team: "Team", members: "Members", onDuty: "On duty" }
};
