// The page's own buttons, as a CMP would wire them.
document.getElementById("approve-ecid").addEventListener("click", function () {
  adobe.optIn.approve([adobe.OptInCategories.ECID, adobe.OptInCategories.ANALYTICS], true).complete();
});
document.getElementById("deny-all").addEventListener("click", function () { adobe.optIn.denyAll(); });
