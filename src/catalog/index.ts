export * from "./model";
export * from "./problems";
export { loadCatalog, checkPromotionTree, type CatalogResult } from "./catalog";
